/**
 * grpc-js (1.14) sets the TLS ServerName (SNI) to the dialled host even when it is an IP
 * address, and Node then prints DeprecationWarning DEP0123 on stderr once per process. Agents
 * and the CLI dial controllers by IP all the time, so that one warning is dropped here; every
 * other warning passes through unchanged. Idempotent.
 */
let installed = false;

export function dropIpServernameWarning(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((...args: unknown[]) => {
    const [, second, third] = args;
    const code = typeof second === "object" && second !== null ? (second as { code?: string }).code : third;
    if (code === "DEP0123") return;
    emit(...args);
  }) as typeof process.emitWarning;
}
