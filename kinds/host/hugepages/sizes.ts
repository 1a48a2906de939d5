/** The page sizes the host reserves, as a policy writes them, in KiB (their /sys directory is `hugepages-<kB>kB`). */
export const HOST_HUGEPAGE_KIB = { "2MiB": 2048, "1GiB": 1048576 } as const;
export type HostHugepageSize = keyof typeof HOST_HUGEPAGE_KIB;
export const HOST_HUGEPAGE_SIZES = Object.keys(HOST_HUGEPAGE_KIB) as HostHugepageSize[];
/** Page size → count, only the sizes a policy sets. */
export type HostHugepages = Partial<Record<HostHugepageSize, number>>;
