/** Test helpers around test/harness/virsh.ts: define objects from XML text. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export { virsh, virshResult } from "../../harness/virsh.js";

/** Writes `xml` to a temp file, runs `fn(path)`, removes the file. */
export async function withXmlFile<T>(xml: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "vft-xml-"));
  try {
    const file = join(dir, "object.xml");
    await writeFile(file, xml);
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
