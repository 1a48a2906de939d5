import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { POLICY_KINDS, type ResourcesDocument } from "../kinds/policy-kinds.js";
import { KIND_SCHEMAS } from "../kinds/schemas.js";
import { PATTERNS } from "../policy-primitives/names.js";
import { choice, list, map, obj, plain, text } from "../policy-primitives/schema-builders.js";

/**
 * The Policy and inventory document schemas (spec/policy.md, v1). One source for
 * validation (Ajv), the TypeScript types (Static) and the published JSON Schema files.
 * Every object rejects unknown fields. Defaults are applied by `resolvePolicy` and are
 * stated in each field's description.
 *
 * Strings under `spec.resources` may contain templates (`${host.name}`, `${vars.x}`):
 * their patterns accept any string containing `${`, and the value is checked again after
 * templating for each host.
 */

const strict = { additionalProperties: false } as const;

const Scalar = Type.Unsafe<string | number | boolean>({
  type: ["string", "number", "boolean"],
  maxLength: 1024,
  description: "a string, number or boolean",
});
const LabelValue = Type.String({ maxLength: 256, description: "label value" });

export const LabelsSchema = map("labelKey", LabelValue, "Labels: key → string value.");
export const VarsSchema = map(
  "varName",
  Scalar,
  "Variables usable as ${vars.<name>}: key → string, number or boolean.",
);

export const TargetsSchema = obj(
  {
    groups: Type.Array(plain("groupName", "an inventory group (including the implicit `all` and `ungrouped`)"), {
      minItems: 1,
      description: "Hosts in any of these inventory groups.",
    }),
    hosts: Type.Array(
      Type.String({ minLength: 1, maxLength: 253, description: "a host pattern, e.g. kvm[01:04].lab" }),
      {
        minItems: 1,
        description: "Hosts whose name matches any of these patterns.",
      },
    ),
    labels: Type.Record(Type.String({ pattern: PATTERNS.labelKey }), LabelValue, {
      minProperties: 1,
      description: "Hosts carrying every one of these labels.",
    }),
    facts: Type.Record(Type.String({ pattern: PATTERNS.factPath }), Scalar, {
      minProperties: 1,
      description: "Hosts whose facts have every one of these values (dotted fact path → value).",
    }),
  },
  [],
  {
    ...strict,
    minProperties: 1,
    description:
      "Which hosts get the policy. The entries are OR-ed; absent = all hosts. An empty targets block is rejected.",
  },
);

export const RolloutSchema = obj(
  {
    canary: Type.Integer({ minimum: 0, description: "Hosts converged first. Default 1." }),
    batchSize: Type.Unsafe<string | number>({
      type: ["string", "integer"],
      minimum: 1,
      pattern: PATTERNS.percent,
      description: 'Then batches of this many hosts, or a percentage of the targets ("25%"). Default "25%".',
    }),
    soak: plain(
      "duration",
      'After each batch, wait this long watching for failure and drift (ms, s, m, h). Default "30s".',
    ),
    maxFailures: Type.Integer({
      minimum: 0,
      description: "Failed hosts tolerated before the rollout stops. Default 0.",
    }),
    onFailure: choice(["rollback", "pause"], { description: "rollback | pause. Default rollback." }),
    offlineTimeout: plain(
      "duration",
      'How long a stage waits for a host that is offline when the stage needs it (ms, s, m, h). Default "10m".',
    ),
    offlineHosts: choice(["failed", "skipped"], {
      description: "What a host still offline after offlineTimeout counts as: failed | skipped. Default failed.",
    }),
  },
  [],
  { ...strict, description: "Staged rollout; every field optional." },
);

/**
 * `spec.resources`: each kind's document schema (kinds/<kind>/spec.ts) under its key, in the
 * order of the kinds' registry (kinds/policy-kinds.ts).
 */
export const ResourcesSchema = Type.Unsafe<ResourcesDocument>(
  obj(
    Object.fromEntries(
      POLICY_KINDS.map((k): [string, TSchema] => [
        k.key,
        k.many ? list(KIND_SCHEMAS[k.kind].document, "Default [].") : KIND_SCHEMAS[k.kind].document,
      ]),
    ),
    [],
    strict,
  ),
);

export const PolicySchema = obj(
  {
    apiVersion: Type.Literal("virtfleet/v1"),
    kind: Type.Literal("Policy"),
    metadata: obj(
      {
        name: plain("policyName", "lower-case letters, digits and '-', 1 to 63 characters"),
        description: text("Free text."),
      },
      ["name"],
      strict,
    ),
    spec: obj(
      {
        targets: TargetsSchema,
        mode: choice(["enforce", "audit"], {
          description: "enforce (repair drift) | audit (report only). Default enforce.",
        }),
        priority: Type.Integer({
          minimum: -1000000,
          maximum: 1000000,
          description: "Higher wins when two policies claim one resource. Default 0.",
        }),
        vars: VarsSchema,
        rollout: RolloutSchema,
        resources: ResourcesSchema,
      },
      ["resources"],
      strict,
    ),
  },
  ["apiVersion", "kind", "metadata", "spec"],
  {
    ...strict,
    title: "virtfleet Policy",
    description: "A virtfleet policy document (apiVersion virtfleet/v1, kind Policy).",
  },
);

const GroupSchema = obj(
  {
    hosts: list(
      Type.String({ minLength: 1, maxLength: 253, description: "a host pattern, e.g. kvm[01:04].lab" }),
      "Host patterns in this group.",
    ),
    children: list(
      plain("groupName", "a group name"),
      "Nested groups: their hosts are in this group too. Cycles are an error.",
    ),
    labels: LabelsSchema,
    vars: VarsSchema,
  },
  [],
  strict,
);

const InventoryHostSchema = obj({ labels: LabelsSchema, vars: VarsSchema }, [], strict);

export const InventorySchema = obj(
  {
    groups: Type.Record(Type.String({ pattern: PATTERNS.groupName }), GroupSchema, {
      description: "Groups by name (`all` and `ungrouped` are implicit).",
    }),
    hosts: Type.Record(Type.String({ minLength: 1, maxLength: 253 }), InventoryHostSchema, {
      description: "Per-host labels and vars, keyed by host name or host pattern.",
    }),
  },
  [],
  { ...strict, title: "virtfleet inventory", description: "inventory.yaml: groups, host patterns, labels and vars." },
);

export type PolicyDocument = Static<typeof PolicySchema>;
export type PolicySpecDocument = PolicyDocument["spec"];
export type TargetsDocument = Static<typeof TargetsSchema>;
export type RolloutDocument = Static<typeof RolloutSchema>;
export type { ResourcesDocument };
export type InventoryDocument = Static<typeof InventorySchema>;
export type { VarValue } from "../policy-primitives/template.js";
