import type { ResourceKind as ClaimKind } from "../policy-primitives/identity.js";
import type { PathSegment } from "../policy-primitives/issues.js";
import type { PolicyReferences, ValueChecker } from "../policy-primitives/value-checker.js";
import type { KindName } from "./names.js";

/**
 * A resource identity a declaration claims on a host; two policies claiming one identity
 * conflict (policy-language/conflicts.ts). `path` is relative to the declaration
 * (`["name"]`, `["sysctl", key]`); `value` is set where equal values do not conflict (sysctl).
 */
export interface Claim {
  identity: string;
  kind: ClaimKind;
  name: string;
  value?: string;
  path: PathSegment[];
}

/**
 * A kind's policy face: what the policy language needs to load, check, resolve and settle
 * conflicts. Its TypeBox schemas are not part of it (kinds/schemas.ts lists them), so that
 * resolving policies, as `apply --local` does, never loads TypeBox.
 */
interface PolicyKindBase<Doc, Spec, Key extends string> {
  readonly kind: KindName;
  /** Its key under `spec.resources`. */
  readonly key: Key;
  /** A declaration after templating → its resolved spec (defaults, units). */
  resolve(doc: Doc): Spec;
  /** The identities a declaration (document or resolved) claims. */
  claims(item: Doc | Spec): Claim[];
}

/** A kind declared as a list (`networks: [...]`). */
export interface ListPolicyKind<Doc, Spec, Key extends string = string> extends PolicyKindBase<Doc, Spec, Key> {
  readonly many: true;
  /** Semantic rules of one policy's declarations (after the schema); records references for later kinds. */
  checkDocuments(items: readonly Doc[], path: PathSegment[], c: ValueChecker, refs: PolicyReferences): void;
}

/** A kind declared once per policy (`host: {...}`); several policies' claims merge per identity. */
export interface SinglePolicyKind<Doc, Spec, Key extends string = string> extends PolicyKindBase<Doc, Spec, Key> {
  readonly many: false;
  checkDocument(item: Doc, path: PathSegment[], c: ValueChecker, refs: PolicyReferences): void;
  /** The spec without the claims in `drop` (lost to another policy). */
  withoutClaims(spec: Spec, drop: ReadonlySet<string>): Spec;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds kinds of every document and spec type
export type AnyPolicyKind = ListPolicyKind<any, any> | SinglePolicyKind<any, any>;
