import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../common/paths.js";
import { POOL_TYPE_INFO, POOL_TYPES } from "../../../kinds/pool/types.js";

// docs/policy.md's "Pool types" table is the reader's copy of kinds/pool/types.ts: it must say
// what the table says, type by type.
const doc = readFileSync(join(projectRoot(), "docs", "policy.md"), "utf8");

function docTable(): Map<string, string[]> {
  const lines = doc.split("\n");
  const at = lines.indexOf("<!-- pool-types -->");
  expect(at, "docs/policy.md has the <!-- pool-types --> table").toBeGreaterThan(0);
  const out = new Map<string, string[]>();
  for (let i = at + 3; i < lines.length && lines[i]!.startsWith("|"); i++) {
    const cells = lines[i]!.slice(1, -1)
      .split("|")
      .map((c) => c.trim().replace(/`/g, ""));
    out.set(cells[0]!, cells.slice(1));
  }
  return out;
}

const list = (xs: readonly string[]) => (xs.length === 0 ? "—" : xs.join(", "));

describe("docs/policy.md pool types", () => {
  const table = docTable();
  it("lists every type once", () => {
    expect([...table.keys()]).toEqual([...POOL_TYPES]);
  });
  for (const t of POOL_TYPES) {
    it(`${t}: source fields, target path and build as in types.ts`, () => {
      const info = POOL_TYPE_INFO[t];
      const optional = info.allowedSource.filter((f) => !info.requiredSource.includes(f));
      const path = info.path === "default" ? `default ${info.defaultPath}` : info.path;
      expect(table.get(t)).toEqual([list(info.requiredSource), list(optional), path, info.build]);
    });
  }
});
