import { InvalidArgumentError } from "commander";
import { parseSnapshotCron, parseWebhookUrl } from "../controller/index.js";

/** `--webhook URL` (repeatable): validated http(s), collected in order. */
export function webhookArg(value: string, previous: string[] = []): string[] {
  try {
    return [...previous, parseWebhookUrl(value).toString()];
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
