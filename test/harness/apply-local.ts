/** `virtfleet apply --local --json` as the tests run it: the built CLI as a real process (npm run build first). */
import { runCli } from "./processes.js";

export interface ApplyLocalResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The --json document; null when stdout is not JSON (a refusal at load prints none). */
  json: any;
}

/** `virtfleet apply POLICIES --local --json ARGS…`: its exit code, output and parsed document. */
export async function applyLocalJson(
  policies: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ApplyLocalResult> {
  const r = await runCli(["apply", policies, "--local", "--json", ...args], env);
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = null;
  }
  return { ...r, json };
}

/** The report of resource `kind` `name` in an apply --json document (undefined when absent). */
export const outcome = (json: any, kind: string, name: string): any =>
  json.resources.find((r: any) => r.kind === kind && r.name === name);
