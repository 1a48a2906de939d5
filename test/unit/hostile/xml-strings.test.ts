/**
 * Property-style: every string field of every resource spec (and build context) gets XML
 * metacharacters, and control characters, one field at a time. The built XML must be
 * well-formed, keep exactly the element/attribute shape of the unmodified build (no
 * injected elements or attributes), and carry the value verbatim; or the builder refuses
 * the value with ValidationError. Characters XML cannot carry verbatim are always refused.
 * The cloud-init seed (YAML, not XML) gets the same treatment. Complements
 * test/unit/xml/escaping.test.ts (hand-picked cases) with an exhaustive sweep.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../common/errors.js";
import type { DhcpHostSpec } from "../../../kinds/network/spec.js";
import type { VolumeDiskSpec } from "../../../kinds/domain/disks/schema.js";
import {
  buildDhcpHostXml,
  buildDomainXml,
  buildMetadataElementXml,
  buildNetworkXml,
  buildPoolXml,
  buildVolumeXml,
  type DomainBuildContext,
} from "../../../kinds/index.js";
import { renderMetaData, renderUserData } from "../../../kinds/cloud-init-seed/index.js";
import * as S from "../xml/specs.js";
import { cloudInit } from "../cloud-init/specs.js";

const METACHARS = [
  `<>&'"`,
  "]]>",
  `a"><evil x='1'/><b c="`,
  "x'/><!-- c --><![CDATA[y]]>",
  "&lt;&#x41;&amp;&unknown;",
  `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]>&e;`,
  "é☃𝄞 mixed ü",
];

/** XML 1.0 cannot carry these, a parser would change them, or the loader refuses them. */
const CONTROLS = [
  "a\u0000b",
  "a\u0001",
  "a\tb",
  "a\nb",
  "a\rb",
  "\u001b[31m",
  "a\u007f",
  "a\u0085",
  "a\ud800b",
  "a\udfff",
  "a\uffff",
];

/** Hostile variants of a field's value `old`: control characters inside, white space at either end. */
function controlVariants(old: string): string[] {
  return [...CONTROLS.map((c) => paths(c, old)), ` ${old}`, `${old} `, `${old}\n`];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

type Leaf = { path: (string | number)[]; value: string };

/** Every string leaf of a plain value (Maps included, by key), with its path. */
function stringLeaves(v: unknown, path: (string | number)[] = []): Leaf[] {
  if (typeof v === "string") return [{ path, value: v }];
  if (v instanceof Map) return [...v.entries()].flatMap(([k, x]) => stringLeaves(x, [...path, String(k)]));
  if (Array.isArray(v)) return v.flatMap((x, i) => stringLeaves(x, [...path, i]));
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => stringLeaves(x, [...path, k]));
  return [];
}

/** A deep copy of `root` with the string at `path` replaced. */
function withValue<T>(root: T, path: (string | number)[], value: string): T {
  const copy = (v: unknown): unknown => {
    if (v instanceof Map) return new Map([...v.entries()].map(([k, x]) => [k, copy(x)]));
    if (Array.isArray(v)) return v.map(copy);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  const out = copy(root);
  let cur = out as Record<string | number, unknown> | Map<string, unknown>;
  for (const seg of path.slice(0, -1)) cur = (cur instanceof Map ? cur.get(String(seg)) : cur[seg]) as typeof cur;
  const last = path[path.length - 1]!;
  if (cur instanceof Map) cur.set(String(last), value);
  else cur[last] = value;
  return out as T;
}

/** The element/attribute structure of parsed XML with every value blanked. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, shape(x)]),
    );
  return "·";
}

function parsedValues(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(parsedValues);
  if (v !== null && typeof v === "object") return Object.values(v).flatMap(parsedValues);
  return [String(v)];
}

interface Target<I> {
  name: string;
  input: () => I;
  build: (input: I) => string;
}

const paths = (v: string, old: string) => (old.startsWith("/") ? `/x/${v}` : v);

const TARGETS: Target<unknown>[] = [
  {
    name: "domain (full) + context",
    input: () => ({
      spec: S.fullDomain(),
      ctx: { ...S.fullDomainCtx(), arch: "x86_64", cpuDisabledFeatures: ["arch-capabilities"] } as DomainBuildContext,
    }),
    build: (i) => {
      const { spec, ctx } = i as { spec: ReturnType<typeof S.fullDomain>; ctx: DomainBuildContext };
      return buildDomainXml(spec, { ...ctx, diskPaths: resolvedDisks(spec, ctx) });
    },
  },
  {
    name: "domain (tiny, uuid)",
    input: () => ({
      spec: S.tinyDomain(),
      ctx: { ...S.tinyDomainCtx(), uuid: "0b5e4c2f-1a2b-4c3d-8e9f-0123456789ab" },
    }),
    build: (i) => {
      const { spec, ctx } = i as { spec: ReturnType<typeof S.tinyDomain>; ctx: DomainBuildContext };
      return buildDomainXml(spec, ctx);
    },
  },
  {
    name: "network (nat, dhcp hosts)",
    input: () => S.natNetwork(),
    build: (i) => buildNetworkXml(i as ReturnType<typeof S.natNetwork>),
  },
  {
    name: "network (bridge)",
    input: () => S.bridgeNetwork(),
    build: (i) => buildNetworkXml(i as ReturnType<typeof S.bridgeNetwork>),
  },
  {
    name: "dhcp host (net-update)",
    input: () => S.natNetwork().ipv4!.dhcp!.hosts[0]!,
    build: (i) => buildDhcpHostXml(i as DhcpHostSpec),
  },
  {
    name: "pool",
    input: () => ({ spec: S.dirPool(), uuid: "0b5e4c2f-1a2b-4c3d-8e9f-0123456789ab" }),
    build: (i) => {
      const { spec, uuid } = i as { spec: ReturnType<typeof S.dirPool>; uuid: string };
      return buildPoolXml(spec, { uuid });
    },
  },
  {
    name: "volume (overlay)",
    input: () => ({
      spec: S.overlayVolume(),
      ctx: { backingPath: "/var/lib/libvirt/p/base.qcow2", backingFormat: "qcow2" },
    }),
    build: (i) => {
      const { spec, ctx } = i as {
        spec: ReturnType<typeof S.overlayVolume>;
        ctx: { backingPath: string; backingFormat: string };
      };
      return buildVolumeXml(spec, ctx);
    },
  },
  {
    name: "domain metadata element",
    input: () => ({ specHash: "a".repeat(64), policy: "web" }),
    build: (i) => {
      const { specHash, policy } = i as { specHash: string; policy: string };
      return buildMetadataElementXml(specHash, policy);
    },
  },
];

/** diskPaths keyed by the (possibly hostile) pool/volume of each disk, so disks resolve. */
function resolvedDisks(
  spec: ReturnType<typeof S.fullDomain>,
  ctx: DomainBuildContext,
): DomainBuildContext["diskPaths"] {
  const formats = [...ctx.diskPaths.values()];
  return new Map(
    (spec.disks as VolumeDiskSpec[]).map((d, i) => [
      `${d.pool}/${d.volume}`,
      formats[i] ?? { path: "/p", format: "raw" as const },
    ]),
  );
}

function attempt(build: () => string): { xml: string } | { error: unknown } {
  try {
    return { xml: build() };
  } catch (error) {
    return { error };
  }
}

describe("XML builders: metacharacters in every string field", () => {
  for (const t of TARGETS) {
    it(`${t.name}: each string field round-trips verbatim or is refused; no injection`, () => {
      const base = t.input();
      const baseXml = t.build(base);
      const baseShape = shape(parser.parse(baseXml));
      const leaves = stringLeaves(base);
      expect(leaves.length).toBeGreaterThan(0);
      let emitted = 0;
      for (const leaf of leaves) {
        for (const raw of METACHARS) {
          const value = paths(raw, leaf.value);
          const r = attempt(() => t.build(withValue(base, leaf.path, value)));
          if ("error" in r) {
            expect(r.error, `${t.name} ${leaf.path.join(".")} = ${JSON.stringify(value)}`).toBeInstanceOf(
              ValidationError,
            );
            continue;
          }
          if (r.xml === baseXml) continue; // the field does not reach the XML
          emitted++;
          const where = `${t.name} ${leaf.path.join(".")} = ${JSON.stringify(value)}`;
          expect(XMLValidator.validate(r.xml), where).toBe(true);
          const parsed = parser.parse(r.xml);
          expect(shape(parsed), where).toEqual(baseShape);
          const values = parsedValues(parsed);
          // The value is there verbatim (some builders lower-case hex, e.g. uuid; those refuse metacharacters).
          expect(values, where).toContain(value);
          expect(r.xml, where).not.toMatch(/<evil|<!--|<!\[CDATA\[|<!DOCTYPE|<\?xml version="1.0"\?><!/);
        }
      }
      expect(emitted).toBeGreaterThan(0);
    });

    it(`${t.name}: control characters and edge white space are refused in every emitted field`, () => {
      const base = t.input();
      const baseXml = t.build(base);
      for (const leaf of stringLeaves(base)) {
        // Only fields that reach the XML: a changed value changes the output.
        const probe = attempt(() => t.build(withValue(base, leaf.path, paths("probe-value", leaf.value))));
        if ("xml" in probe && probe.xml === baseXml) continue;
        for (const value of controlVariants(leaf.value)) {
          const r = attempt(() => t.build(withValue(base, leaf.path, value)));
          expect(
            "error" in r && r.error instanceof ValidationError,
            `${t.name} ${leaf.path.join(".")} = ${JSON.stringify(value)} was accepted`,
          ).toBe(true);
        }
      }
    });
  }

  it("the refusal names the field and the character", () => {
    expect(() => buildPoolXml({ ...S.dirPool(), path: "/srv/a\nb" })).toThrow(
      /pool vft-fixture-pool: path: contains a character XML cannot carry verbatim: the control character U\+000A \(newline\) at character 7/,
    );
    expect(() => buildNetworkXml({ ...S.natNetwork(), name: " n" })).toThrow(
      /name: must not start or end with white space/,
    );
  });
});

describe("cloud-init seed: YAML metacharacters in every string field", () => {
  const YAML_HOSTILE = [
    ...METACHARS,
    "yes",
    "null",
    "~",
    "1:20",
    "0x1F",
    "- item",
    "key: value",
    "#comment",
    "&a *a",
    "!!python/object:os.system",
    "a\nkey: injected",
    "'single'",
    '"double"',
    "${x}",
    "a\u0085b",
  ];

  it("user-data and meta-data keep every value verbatim and gain no keys", () => {
    const base = { hostname: "web-01", ci: cloudInit() };
    const baseUser = parseYaml(renderUserData(base.ci), { version: "1.1" }) as unknown;
    const baseMeta = parseYaml(renderMetaData(base.hostname, base.ci, "vf-x"), { version: "1.1" }) as unknown;
    for (const leaf of stringLeaves(base.ci)) {
      for (const value of YAML_HOSTILE) {
        const ci = withValue(base.ci, leaf.path, value);
        const where = `cloudInit.${leaf.path.join(".")} = ${JSON.stringify(value)}`;
        const user = parseYaml(renderUserData(ci), { version: "1.1" }) as unknown;
        const meta = parseYaml(renderMetaData(base.hostname, ci, "vf-x"), { version: "1.1" }) as unknown;
        expect(shape(user), where).toEqual(shape(baseUser));
        expect(shape(meta), where).toEqual(shape(baseMeta));
        expect([...parsedValues(user), ...parsedValues(meta)], where).toContain(value);
      }
    }
  });
});
