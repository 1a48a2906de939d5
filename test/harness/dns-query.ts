/**
 * One DNS query over UDP (RFC 1035), for tests that ask a network's dnsmasq directly: the A
 * or AAAA addresses answered for `name`, [] for an answer without any (NXDOMAIN included).
 */
import { createSocket } from "node:dgram";

export async function dnsQuery(server: string, name: string, type: "A" | "AAAA", timeoutMs = 5_000): Promise<string[]> {
  const qtype = type === "A" ? 1 : 28;
  const id = Math.floor(Math.random() * 65536);
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l, "ascii")]);
  const query = Buffer.concat([
    Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels,
    Buffer.from([0, 0, qtype, 0, 1]),
  ]);
  const sock = createSocket(server.includes(":") ? "udp6" : "udp4");
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no DNS answer from ${server} in ${timeoutMs} ms`)), timeoutMs);
      sock.on("message", (m) => {
        if (m.readUInt16BE(0) !== id) return;
        clearTimeout(t);
        resolve(m);
      });
      sock.send(query, 53, server, (err) => err && reject(err));
    });
    return answers(reply, qtype);
  } finally {
    sock.close();
  }
}

function skipName(m: Buffer, at: number): number {
  for (;;) {
    const len = m[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}

function answers(m: Buffer, qtype: number): string[] {
  const an = m.readUInt16BE(6);
  let at = skipName(m, 12) + 4;
  const out: string[] = [];
  for (let i = 0; i < an; i++) {
    at = skipName(m, at);
    const type = m.readUInt16BE(at);
    const len = m.readUInt16BE(at + 8);
    const data = m.subarray(at + 10, at + 10 + len);
    at += 10 + len;
    if (type !== qtype) continue;
    if (type === 1) out.push([...data].join("."));
    else {
      const groups: string[] = [];
      for (let g = 0; g < 16; g += 2) groups.push(data.readUInt16BE(g).toString(16));
      out.push(groups.join(":"));
    }
  }
  return out;
}
