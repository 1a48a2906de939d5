/** Page size in bytes from a `/sys/kernel/mm/hugepages` entry name (`hugepages-2048kB`); null if it is not one. */
export function parseHugepageDirName(name: string): number | null {
  const m = /^hugepages-(\d+)kB$/.exec(name);
  return m ? Number(m[1]) * 1024 : null;
}
