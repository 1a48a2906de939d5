/**
 * The first line of every persistent file virtfleet writes: it says the file is virtfleet's
 * (edits are reverted) and whose interface it configures — the ownership marker that
 * survives a reboot (../ownership.ts).
 */
export const HEADER = "# virtfleet: created (managed by virtfleet; edits are reverted)";

/** Whether `content` starts with virtfleet's header. */
export function isOurs(content: string): boolean {
  return content.startsWith(HEADER);
}
