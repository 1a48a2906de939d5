/** One element of `virtfleet drift --json` (spec/cli.md), plus classification and detail. */
export interface DriftJson {
  id: string;
  host: string;
  policy: string;
  kind: string;
  name: string;
  fields: { field: string; desired: unknown; actual: unknown }[];
  detectedAt: string;
  source: string;
  remediation: string;
  resolvedAt?: string;
  classification: string;
  detail?: string;
}
