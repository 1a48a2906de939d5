import { readFileSync, statSync } from "node:fs";
import { OptionError } from "../../common/index.js";
import { parseWebhookUrl, redactUrl } from "./webhook-url.js";

/**
 * What a webhook can be sent (the `type` of every payload, controller/alerts/payloads.ts):
 * - `drift`: corrective drift — the host moved away from its policy (repaired, reported,
 *   failed or suppressed, and its resolution);
 * - `failure`: a resource became failed (or its error changed);
 * - `change`: an intentional change — what applying a new policy revision (a rollout) did or
 *   found; never sent as `drift`.
 */
export const ALERT_TYPES = ["drift", "failure", "change"] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** A webhook with no `events=` gets these: planned changes are opt-in. */
export const DEFAULT_ALERT_TYPES: readonly AlertType[] = ["drift", "failure"];

/** One configured webhook. `secret` lives in memory only: never logged, stored or shown. */
export interface WebhookConfig {
  url: string;
  events: readonly AlertType[];
  /** HMAC-SHA256 key for the signature headers; absent: requests are not signed. */
  secret?: string;
}

/** A `--webhook` value before its secret file is read. */
export interface WebhookSpec {
  url: string;
  events: readonly AlertType[];
  secretFile?: string;
}

/** Secrets shorter than this are refused: a guessable key signs nothing. */
export const MIN_SECRET_BYTES = 16;

/**
 * Parses `--webhook 'URL [events=T1,T2] [secret-file=FILE]'`: the URL, then space-separated
 * settings (a URL cannot contain a space, so the split is unambiguous). Types are those of
 * ALERT_TYPES; none given: DEFAULT_ALERT_TYPES. Throws OptionError naming the option; never
 * echoes the URL's userinfo or query.
 */
export function parseWebhookSpec(value: string, option = "--webhook"): WebhookSpec {
  const [urlText = "", ...settings] = value.trim().split(/\s+/);
  const url = parseWebhookUrl(urlText, option).toString();
  let events: readonly AlertType[] = DEFAULT_ALERT_TYPES;
  let secretFile: string | undefined;
  for (const s of settings) {
    const eq = s.indexOf("=");
    const key = eq < 0 ? s : s.slice(0, eq);
    const val = eq < 0 ? "" : s.slice(eq + 1);
    if (key === "events") {
      const types = val.split(",").filter((t) => t !== "");
      const bad = types.filter((t) => !(ALERT_TYPES as readonly string[]).includes(t));
      if (types.length === 0 || bad.length > 0)
        throw new OptionError(
          option,
          `${redactUrl(url)}: events=${bad.join(",") || "(empty)"}: each event type must be one of ${ALERT_TYPES.join(", ")}`,
        );
      events = [...new Set(types as AlertType[])];
    } else if (key === "secret-file") {
      if (val === "") throw new OptionError(option, `${redactUrl(url)}: secret-file= needs a file name`);
      secretFile = val;
    } else {
      throw new OptionError(
        option,
        `${redactUrl(url)}: unknown setting "${key}" (expected URL [events=${ALERT_TYPES.join(",")}] [secret-file=FILE])`,
      );
    }
  }
  return { url, events, ...(secretFile !== undefined ? { secretFile } : {}) };
}

/**
 * Reads a webhook signing secret from `file`: the file's content without surrounding white
 * space, at least MIN_SECRET_BYTES. A file others can read is refused (the secret is as good
 * as public). Errors name the file and the option, never the content.
 */
export function readWebhookSecret(file: string, option: string): string {
  let text: string;
  try {
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0)
      throw new OptionError(
        option,
        `${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof OptionError) throw err;
    throw new OptionError(
      option,
      `cannot read the webhook secret file ${file} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const secret = text.trim();
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES)
    throw new OptionError(option, `the webhook secret in ${file} is shorter than ${MIN_SECRET_BYTES} bytes`);
  return secret;
}

/** The webhooks to run: each spec's secret from its own secret-file=, else from `defaultSecretFile`. */
export function resolveWebhooks(
  specs: readonly WebhookSpec[],
  defaultSecretFile: string | undefined,
  option = "--webhook-secret-file",
): WebhookConfig[] {
  const defaultSecret = defaultSecretFile === undefined ? undefined : readWebhookSecret(defaultSecretFile, option);
  return specs.map((s) => {
    const secret = s.secretFile !== undefined ? readWebhookSecret(s.secretFile, "--webhook") : defaultSecret;
    return { url: s.url, events: s.events, ...(secret !== undefined ? { secret } : {}) };
  });
}
