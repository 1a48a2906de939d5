/** PyYAML, the parser cloud-init reads user-data with: an oracle for the seed's YAML where python3-yaml is installed. */
import { execFileSync } from "node:child_process";

/** `text` as PyYAML's safe_load reads it (through JSON). */
export function pyyamlLoad(text: string): unknown {
  return JSON.parse(
    execFileSync("python3", ["-c", "import sys,json,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], {
      input: text,
      encoding: "utf8",
    }),
  );
}

/** True when python3 can import yaml here. */
export const hasPyyaml = (() => {
  try {
    execFileSync("python3", ["-c", "import yaml"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
