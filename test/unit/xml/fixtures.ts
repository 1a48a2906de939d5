/** XML captured from the real libvirtd (9.0) by test/integration/xml/capture-fixtures.test.ts. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
}
