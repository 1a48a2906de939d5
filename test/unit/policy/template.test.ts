import { describe, expect, it } from "vitest";
import {
  expandTemplate,
  hasTemplate,
  parseTemplate,
  shortName,
  TemplateSyntaxError,
  type TemplateContext,
} from "../../../common/index.js";

const ctx: TemplateContext = {
  host: { name: "kvm01.lab", labels: { rack: "r1", "topology/zone": "z1" } },
  vars: { image: "debian-12", n: 3, on: true },
};

describe("templating", () => {
  it.each([
    ["${host.name}", "kvm01.lab"],
    ["${host.shortname}-web", "kvm01-web"],
    ["rack-${host.labels.rack}", "rack-r1"],
    ["${host.labels.topology/zone}", "z1"],
    ["/srv/${vars.image}.qcow2", "/srv/debian-12.qcow2"],
    ["${vars.n}x${vars.on}", "3xtrue"],
    ["${ vars.image }", "debian-12"],
    ["$${host.name}", "${host.name}"],
    ["$$${host.name}", "$${host.name}"],
    ["$6$salt$hash", "$6$salt$hash"],
    ["no template", "no template"],
  ])("%s → %s", (input, out) => expect(expandTemplate(input, ctx)).toBe(out));

  it("an unknown variable is an error naming it and what is defined, never an empty string", () => {
    expect(() => expandTemplate("${vars.nope}", ctx)).toThrow(TemplateSyntaxError);
    expect(() => expandTemplate("${vars.nope}", ctx)).toThrow(
      'unknown variable "${vars.nope}" (defined: image, n, on)',
    );
    expect(() => expandTemplate("${host.labels.row}", ctx)).toThrow(
      /unknown label on host kvm01.lab "\$\{host.labels.row\}"/,
    );
  });

  it("rejects unknown roots and unterminated references", () => {
    expect(() => parseTemplate("${env.HOME}")).toThrow(/unknown variable "\$\{env.HOME\}"/);
    expect(() => parseTemplate("${host.ip}")).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate("a ${vars.x")).toThrow(/unterminated/);
  });

  it("hasTemplate ignores escapes", () => {
    expect(hasTemplate("a${vars.x}")).toBe(true);
    expect(hasTemplate("a$${vars.x}")).toBe(false);
    expect(hasTemplate("$6$abc")).toBe(false);
  });

  it("shortname is the first label, or the whole IPv4 address", () => {
    expect(shortName("kvm01.lab.example")).toBe("kvm01");
    expect(shortName("kvm01")).toBe("kvm01");
    expect(shortName("10.0.0.1")).toBe("10.0.0.1");
  });
});
