import { readFileSync } from "node:fs";
import { OptionError } from "../common/errors.js";

/** Where an enrolment token came from, for messages (never the token itself). */
export type TokenSource = "--token-file" | "--token" | "VIRTFLEET_TOKEN";

/**
 * The agent's enrolment token, from (in this order) `--token-file FILE`, `--token T` (visible
 * in `ps` to every local user: kept for tests) or env VIRTFLEET_TOKEN; undefined when none.
 * --token-file and --token exclude each other. A file that cannot be read or holds no token is
 * an OptionError naming the file, never quoting its content: the token is a secret and stays
 * out of argv, logs and errors.
 */
export function agentToken(flags: {
  tokenFile?: string;
  token?: string;
}): { token: string; from: TokenSource } | undefined {
  if (flags.tokenFile !== undefined && flags.token !== undefined)
    throw new OptionError(
      "--token-file",
      "--token-file and --token exclude each other: pass the token in the file only",
    );
  if (flags.tokenFile !== undefined) return { token: readTokenFile(flags.tokenFile), from: "--token-file" };
  if (flags.token !== undefined) return { token: flags.token, from: "--token" };
  const env = process.env.VIRTFLEET_TOKEN?.trim();
  return env ? { token: env, from: "VIRTFLEET_TOKEN" } : undefined;
}

function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new OptionError(
      "--token-file",
      `cannot read ${path} (${code}): write the token from 'virtfleet token create' there`,
    );
  }
  const token = text.trim();
  if (token === "")
    throw new OptionError("--token-file", `${path} is empty: write the token from 'virtfleet token create' there`);
  if (/\s/.test(token))
    throw new OptionError("--token-file", `${path} holds more than one word: it must hold the token alone`);
  return token;
}
