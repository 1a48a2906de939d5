import { describe, expect, test } from "vitest";
import { isNotFound, ProtocolError } from "../../../common/errors.js";
import { parseCapabilities } from "../../../libvirt/capabilities.js";
import { HEADER_BYTES, MESSAGE_MAX_BYTES, Proc } from "../../../libvirt/constants.js";
import {
  ErrorCode,
  LibvirtError,
  decodeRemoteError,
  isAlreadyExists,
  isInvalidXml,
  isLibvirtNotFound,
} from "../../../libvirt/errors.js";
import { decodeEventMessage } from "../../../libvirt/events.js";
import { FrameDecoder, decodePacket, encodePacket } from "../../../libvirt/packet.js";
import { AsyncQueue } from "../../../libvirt/queue.js";
import { readDomain, uuidToBytes, uuidToString, writeDomain } from "../../../libvirt/types.js";
import { XdrError, XdrReader, XdrWriter } from "../../../libvirt/xdr.js";
import { errorBody } from "./fake-daemon.js";

const UUID = "3f0c6a5e-2b1d-4c9e-8f7a-0123456789ab";

function composite(): Buffer {
  const w = new XdrWriter(4);
  w.int(-5)
    .uint(0xffff_ffff)
    .hyper(-(2n ** 62n))
    .uhyper(2n ** 64n - 1n)
    .bool(true);
  w.string("héllo", 100)
    .opaque(Buffer.from([1, 2, 3]), 10)
    .fixedOpaque(uuidToBytes(UUID), 16);
  w.optional(null, (x, v: string) => x.string(v, 10)).optional("x", (x, v) => x.string(v, 10));
  w.array([1, 2, 3], 10, (x, v) => x.int(v));
  return Buffer.from(w.bytes());
}

function readComposite(r: XdrReader): unknown[] {
  return [
    r.int(),
    r.uint(),
    r.hyper(),
    r.uhyper(),
    r.bool(),
    r.string(100),
    [...r.opaque(10)],
    uuidToString(r.fixedOpaque(16)),
    r.optional((x) => x.string(10)),
    r.optional((x) => x.string(10)),
    r.array(10, (x) => x.int()),
  ];
}

describe("XDR codec", () => {
  test("round-trips every type with 4-byte alignment", () => {
    const buf = composite();
    expect(buf.length % 4).toBe(0);
    const r = new XdrReader(buf);
    expect(readComposite(r)).toEqual([
      -5,
      0xffff_ffff,
      -(2n ** 62n),
      2n ** 64n - 1n,
      true,
      "héllo",
      [1, 2, 3],
      UUID,
      null,
      "x",
      [1, 2, 3],
    ]);
    r.end();
  });

  test("pads strings and opaques with zeros", () => {
    expect([...new XdrWriter().string("ab", 10).bytes()]).toEqual([0, 0, 0, 2, 97, 98, 0, 0]);
    expect([...new XdrWriter().opaque(Buffer.from([9]), 10).bytes()]).toEqual([0, 0, 0, 1, 9, 0, 0, 0]);
    expect(new XdrWriter().string("abcd", 10).bytes().length).toBe(8);
  });

  test("every truncation of a valid message is rejected with XdrError", () => {
    const buf = composite();
    for (let cut = 0; cut < buf.length; cut++) {
      expect(() => readComposite(new XdrReader(buf.subarray(0, cut))), `cut at ${cut}`).toThrow(XdrError);
    }
  });

  test("hostile lengths are rejected before allocating", () => {
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(() => new XdrReader(huge).string(1 << 22)).toThrow(/exceeds maximum/);
    expect(() => new XdrReader(huge).opaque(1 << 22)).toThrow(/exceeds maximum/);
    expect(() => new XdrReader(huge).array(1 << 30, (r) => r.int())).toThrow(/exceeds maximum/);
    expect(() =>
      new XdrReader(Buffer.from(new XdrWriter().uint(1_000_000).bytes())).array(1 << 30, (r) => r.int()),
    ).toThrow(/cannot fit/);
    const claimsMore = new XdrWriter().uint(100).bytes();
    expect(() => new XdrReader(Buffer.from(claimsMore)).string(1000)).toThrow(/truncated string/);
    expect(() => new XdrReader(Buffer.from(new XdrWriter().int(2).bytes())).bool()).toThrow(/bool must be 0 or 1/);
    expect(() => new XdrReader(Buffer.from(new XdrWriter().uhyper(2n ** 60n).bytes())).uhyperNumber()).toThrow(
      /safe integer/,
    );
    const trailing = new XdrReader(Buffer.from(new XdrWriter().int(1).int(2).bytes()));
    trailing.int();
    expect(() => trailing.end()).toThrow(/trailing/);
  });

  test("the writer refuses values outside their type", () => {
    expect(() => new XdrWriter().int(2 ** 31)).toThrow(XdrError);
    expect(() => new XdrWriter().uint(-1)).toThrow(XdrError);
    expect(() => new XdrWriter().int(1.5)).toThrow(XdrError);
    expect(() => new XdrWriter().uhyper(-1n)).toThrow(XdrError);
    expect(() => new XdrWriter().string("toolong", 3)).toThrow(/exceeds maximum/);
    expect(() => new XdrWriter().array([1, 2], 1, (w, v) => w.int(v))).toThrow(/exceeds maximum/);
    expect(() => new XdrWriter().fixedOpaque(Buffer.alloc(3), 16)).toThrow(/16 bytes/);
    expect(() => uuidToBytes("nope")).toThrow(/not a UUID/);
  });

  test("domain refs round-trip", () => {
    const w = new XdrWriter();
    writeDomain(w, { name: "vm1", uuid: UUID, id: 7 });
    expect(readDomain(new XdrReader(Buffer.from(w.bytes())))).toEqual({ name: "vm1", uuid: UUID, id: 7 });
  });
});

describe("packet framing", () => {
  const header = { program: 0x20008086, version: 1, procedure: 273, type: 1, serial: 4_000_000_000, status: 1 };

  test("header round-trips and the length counts itself", () => {
    const pkt = encodePacket(header, Buffer.from([1, 2, 3, 4]));
    expect(pkt.readUInt32BE(0)).toBe(pkt.length);
    const frames = new FrameDecoder().push(pkt);
    expect(frames).toHaveLength(1);
    const p = decodePacket(frames[0]!);
    expect(p.header).toEqual(header);
    expect([...p.body]).toEqual([1, 2, 3, 4]);
  });

  test("reassembles frames torn at every byte and several frames per chunk", () => {
    const a = encodePacket(header, Buffer.alloc(40, 7));
    const b = encodePacket({ ...header, serial: 2 }, Buffer.alloc(0));
    const all = Buffer.concat([a, b, a]);
    const d = new FrameDecoder();
    const frames: Buffer[] = [];
    for (const byte of all) frames.push(...d.push(Buffer.from([byte])));
    expect(frames.map((f) => decodePacket(f).header.serial)).toEqual([header.serial, 2, header.serial]);
    expect(d.pending).toBe(0);
    expect(new FrameDecoder().push(all)).toHaveLength(3);
  });

  test("rejects impossible lengths without buffering the body", () => {
    const tooBig = Buffer.alloc(4);
    tooBig.writeUInt32BE(MESSAGE_MAX_BYTES + 5);
    expect(() => new FrameDecoder().push(tooBig)).toThrow(ProtocolError);
    const tooSmall = Buffer.alloc(4);
    tooSmall.writeUInt32BE(HEADER_BYTES);
    expect(() => new FrameDecoder().push(tooSmall)).toThrow(/smaller than the minimum/);
    const small = new FrameDecoder(1024);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(2000);
    expect(() => small.push(len)).toThrow(/exceeds the maximum/);
    expect(() => decodePacket(Buffer.alloc(10))).toThrow(/shorter than/);
  });
});

describe("errors", () => {
  test("decodes remote_error and maps codes to predicates", () => {
    const fields = decodeRemoteError(
      new XdrReader(errorBody(ErrorCode.NO_DOMAIN, "Domain not found: no domain with matching name 'x'")),
    );
    expect(fields).toMatchObject({
      code: 42,
      domain: 10,
      message: "Domain not found: no domain with matching name 'x'",
      level: 2,
    });
    const e = new LibvirtError(fields, "DOMAIN_LOOKUP_BY_NAME");
    expect(e.code).toBe("NOT_FOUND");
    expect(e.codeName).toBe("NO_DOMAIN");
    expect(e.domainName).toBe("QEMU");
    expect(isNotFound(e)).toBe(true);
    expect(isNotFound(new Error("wrapper", { cause: e }))).toBe(true);
    expect(isLibvirtNotFound(e)).toBe(true);
    expect(e.message).toMatch(/DOMAIN_LOOKUP_BY_NAME failed: Domain not found.*\[VIR_ERR_NO_DOMAIN\]/);

    const base = { domain: 0, message: "x", level: 2, str1: null, str2: null, str3: null, int1: 0, int2: 0 };
    for (const code of [ErrorCode.NO_NETWORK, ErrorCode.NO_STORAGE_POOL, ErrorCode.NO_STORAGE_VOL]) {
      expect(isNotFound(new LibvirtError({ ...base, code }, "P"))).toBe(true);
    }
    const other = new LibvirtError({ ...base, code: ErrorCode.XML_ERROR }, "P");
    expect(other.code).toBe("LIBVIRT");
    expect(isNotFound(other)).toBe(false);
    expect(isInvalidXml(other)).toBe(true);
    const dup = new LibvirtError(
      { ...base, code: ErrorCode.OPERATION_FAILED, message: "domain 'a' is already defined with uuid u" },
      "P",
    );
    expect(isAlreadyExists(dup)).toBe(true);
    expect(isAlreadyExists(new LibvirtError({ ...base, code: ErrorCode.OPERATION_FAILED }, "P"))).toBe(false);
  });

  test("a truncated error struct is an XdrError", () => {
    const body = errorBody(1, "boom");
    expect(() => decodeRemoteError(new XdrReader(body.subarray(0, body.length - 4)))).toThrow(XdrError);
  });
});

describe("event messages", () => {
  test("decodes a domain lifecycle callback message", () => {
    const w = new XdrWriter();
    w.int(3);
    writeDomain(w, { name: "vm", uuid: UUID, id: -1 });
    w.int(5).int(1);
    const d = decodeEventMessage(Proc.DOMAIN_EVENT_CALLBACK_LIFECYCLE, Buffer.from(w.bytes()));
    expect(d).toMatchObject({
      family: "domain",
      callbackId: 3,
      event: { kind: "domain-lifecycle", event: "stopped", detail: "destroyed" },
    });
    expect(decodeEventMessage(9999, Buffer.alloc(0))).toBeNull();
    expect(() => decodeEventMessage(Proc.NETWORK_EVENT_LIFECYCLE, Buffer.alloc(3))).toThrow(XdrError);
  });
});

describe("capabilities", () => {
  test("extracts host CPU, NUMA cells, machine and domain types for the host arch", () => {
    const xml = `<capabilities>
  <host><cpu><arch>x86_64</arch><model>EPYC &amp; co</model></cpu>
    <topology><cells num='2'><cell id='0'/><cell id='1'/></cells></topology></host>
  <!-- a comment <guest> -->
  <guest><os_type>hvm</os_type><arch name='i686'><machine maxCpus='8'>i686-only</machine><domain type='qemu'/></arch></guest>
  <guest><os_type>hvm</os_type><arch name='x86_64'>
    <machine maxCpus='255'>pc-i440fx-7.2</machine><machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
    <domain type='qemu'/><domain type='kvm'><machine maxCpus='288'>pc-q35-7.2</machine></domain>
  </arch></guest>
</capabilities>`;
    expect(parseCapabilities(xml)).toEqual({
      hostArch: "x86_64",
      hostCpuModel: "EPYC & co",
      numaCells: 2,
      maxMachineCpus: 288,
      machineTypes: ["pc-i440fx-7.2", "pc", "pc-q35-7.2"],
      domainTypes: ["qemu", "kvm"],
    });
    expect(() => parseCapabilities("<capabilities><host></capabilities>")).toThrow(/closes/);
  });
});

describe("event queue", () => {
  test("never blocks the producer; overflow drops the oldest and tells the consumer", async () => {
    const q = new AsyncQueue<number | string>(3, (n) => `dropped ${n}`);
    for (let i = 0; i < 10; i++) q.push(i);
    q.end();
    const got: (number | string)[] = [];
    for await (const v of q) got.push(v);
    expect(got).toEqual(["dropped 7", 7, 8, 9]);
  });

  test("a waiting consumer is woken by push and by end with an error", async () => {
    const q = new AsyncQueue<number>(10, () => -1);
    const first = q.next();
    q.push(1);
    expect(await first).toEqual({ value: 1, done: false });
    const second = q.next();
    q.end(new Error("gone"));
    await expect(second).rejects.toThrow("gone");
  });
});
