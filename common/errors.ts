/**
 * Typed errors. Every error a user can see has a stable `code`, a message that says what
 * failed, where, and what to do, and an optional `cause`. Predicates walk the cause chain.
 */
export class VirtfleetError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input from a user or file is invalid (CLI exit code 2). */
export class ValidationError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_INPUT", message, options);
  }
}

/** A command-line or configuration option is invalid; names the option. */
export class OptionError extends VirtfleetError {
  readonly option: string;
  constructor(option: string, message: string) {
    super("INVALID_OPTION", `${option}: ${message}`);
    this.option = option;
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NOT_FOUND", message, options);
  }
}

/** A peer (controller, agent, libvirtd) sent something that breaks the protocol. */
export class ProtocolError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROTOCOL", message, options);
  }
}

/** Walks `err` and its `cause` chain, returning the first error that matches. */
export function findInChain<T>(err: unknown, match: (e: unknown) => e is T): T | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    if (match(cur)) return cur;
    seen.add(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `err` or anything in its cause chain carries `code`. */
export function hasCode(err: unknown, code: string): boolean {
  return findInChain(err, (e): e is { code: string } => (e as { code?: unknown })?.code === code) !== undefined;
}

export function isNotFound(err: unknown): boolean {
  return hasCode(err, "NOT_FOUND");
}

/** A one-line, user-facing rendering of an error and its causes. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const details = (cur as { details?: unknown }).details;
    const msg =
      cur instanceof Error
        ? cur.message
        : typeof details === "string"
          ? details
          : typeof cur === "object"
            ? JSON.stringify(cur)
            : String(cur);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join(": ");
}
