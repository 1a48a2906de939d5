import { InvalidArgumentError } from "commander";
import { parseSnapshotCron, parseWebhookSpec, type WebhookSpec } from "../controller/index.js";

/** `--webhook 'URL [events=T,…] [secret-file=FILE]'` (repeatable): validated, collected in order. */
export function webhookArg(value: string, previous: WebhookSpec[] = []): WebhookSpec[] {
  try {
    return [...previous, parseWebhookSpec(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** `--compliance-snapshot CRON`. */
export function complianceSnapshotArg(value: string): string {
  try {
    return parseSnapshotCron(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
