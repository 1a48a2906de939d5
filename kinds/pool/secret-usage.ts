/**
 * The usage ID of the libvirt secret object virtfleet manages for pool NAME's credentials
 * (usage type iscsi or ceph, types.ts). One per pool, so removing the pool removes it and no
 * other object shares it.
 */
export function poolSecretUsage(pool: string): string {
  return `virtfleet-pool-${pool}`;
}
