/** Firmware and boot: bad input rejected at policy load with file:line:col, and the resolver's defaults. */
import { describe, expect, it } from "vitest";
import { resolveDomain } from "../../../kinds/domain/resolve.js";
import type { DomainDocument } from "../../../kinds/domain/spec.js";
import { lines, load, policy } from "../policy/helpers.js";

const errs = (domain: string) => lines(load({ "p.yaml": policy("p", `    domains:\n      - ${domain}\n`) }));
const base = "name: g, vcpus: 1, memory: 64MiB";

describe("firmware and boot at policy load", () => {
  it("valid fields pass", () => {
    expect(
      errs(
        `{${base}, firmware: uefi, kernel: {path: /srv/k/vmlinuz, initrd: /srv/k/initrd.img, cmdline: "root=/dev/vda console=ttyS0"}}`,
      ),
    ).toEqual([]);
    expect(errs(`{${base}, firmware: bios}`)).toEqual([]);
  });

  it("kernel without path; initrd or cmdline without a kernel", () => {
    expect(errs(`{${base}, kernel: {initrd: /srv/k/initrd.img}}`)).toEqual([
      "p.yaml:8:52: spec.resources.domains[0].kernel: initrd without a kernel: kernel.path is required",
    ]);
    expect(errs(`{${base}, kernel: {cmdline: quiet}}`)[0]).toMatch(
      /^p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.kernel: cmdline without a kernel/,
    );
    expect(errs(`{${base}, kernel: {}}`)[0]).toMatch(/kernel: kernel\.path is required/);
  });

  it("kernel and initrd paths absolute and normalised; cmdline without control characters", () => {
    expect(errs(`{${base}, kernel: {path: boot/vmlinuz}}`)[0]).toMatch(
      /^p\.yaml:\d+:\d+: spec\.resources\.domains\[0\]\.kernel\.path: "boot\/vmlinuz" must be an absolute path/,
    );
    expect(errs(`{${base}, kernel: {path: /k, initrd: /srv/../initrd}}`)[0]).toMatch(/kernel\.initrd: .*"\.\."/);
    expect(errs(`{${base}, kernel: {path: /k, cmdline: "a\\nb"}}`)[0]).toMatch(
      /kernel\.cmdline: the control character U\+000A \(newline\)/,
    );
    expect(errs(`{${base}, kernel: {path: /k, cmdline: "quiet "}}`)[0]).toMatch(
      /kernel\.cmdline: must not start or end/,
    );
  });

  it("unknown firmware is a schema error", () => {
    expect(errs(`{${base}, firmware: coreboot}`)[0]).toMatch(/firmware/);
  });

  it("the resolver leaves unset fields out (the spec hash of other guests is unchanged)", () => {
    const d = { name: "g", vcpus: 1, memory: "64MiB" } as DomainDocument;
    const r = resolveDomain(d);
    expect("firmware" in r).toBe(false);
    expect("kernel" in r).toBe(false);
    expect(resolveDomain({ ...d, firmware: "uefi", kernel: { path: "/k" } })).toMatchObject({
      firmware: "uefi",
      kernel: { path: "/k" },
    });
  });
});
