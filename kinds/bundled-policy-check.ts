import { validate as generatedValidate } from "../generated/validators/bundled-policy.js";

interface ValidatorError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const validate = generatedValidate as unknown as ((v: unknown) => boolean) & { errors?: ValidatorError[] | null };

/**
 * The agent's check of a bundle's resolved policy (JSON from the controller or the cache)
 * against `BundledPolicySchema` — the kinds' own resolved-spec schemas, compiled ahead of
 * time (policy-language/render-validators.ts → generated/validators/). The controller's loader
 * produced it, so a failure means a corrupt or foreign bundle; it never reaches libvirt.
 *
 * Contract: null when the shape is right, else one phrase naming the first bad field
 * (`policy.resources.domains[0].vcpus must be integer`). A key from the bundle is shown only
 * when it is a plain identifier, so a hostile key cannot forge or smuggle text into a message.
 */
export function checkResolvedPolicy(v: unknown): string | null {
  if (validate(v)) return null;
  const e = validate.errors?.[0];
  if (!e) return "policy does not have the expected shape";
  const segments = e.instancePath.split("/").slice(1).map(unescapePointer);
  if (e.keyword === "required" && typeof e.params.missingProperty === "string")
    return `${fieldPath([...segments, e.params.missingProperty])} is missing`;
  return `${fieldPath(segments)} ${e.message ?? "is invalid"}`;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

function fieldPath(segments: readonly string[]): string {
  let out = "policy";
  for (const s of segments) {
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(s)) out += `.${s}`;
    else out += "[…]";
  }
  return out;
}
