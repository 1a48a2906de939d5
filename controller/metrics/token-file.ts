import { OptionError } from "../../common/index.js";
import { readPrivateFile } from "../../common/private-file.js";

/** A metrics bearer token must be at least this long (bytes): a guessable token would expose the fleet's figures. */
export const MIN_METRICS_TOKEN_BYTES = 16;
const MAX_METRICS_TOKEN_FILE_BYTES = 4_096;

/**
 * The bearer token of `--metrics-token-file`: the file's content without surrounding
 * whitespace. The file must be private (0600/0400, not a symlink: common/private-file.ts) and the
 * token at least MIN_METRICS_TOKEN_BYTES long. Errors name the option and the file, never the content.
 */
export async function readMetricsToken(file: string, option = "--metrics-token-file"): Promise<string> {
  const content = await readPrivateFile(
    file,
    { maxBytes: MAX_METRICS_TOKEN_FILE_BYTES },
    (detail) => new OptionError(option, `the metrics token file ${file} ${detail}`),
  );
  const token = content.toString("utf8").trim();
  if (Buffer.byteLength(token) < MIN_METRICS_TOKEN_BYTES)
    throw new OptionError(option, `the token in ${file} is shorter than ${MIN_METRICS_TOKEN_BYTES} bytes`);
  if (/\s/.test(token)) throw new OptionError(option, `the token in ${file} contains whitespace (one line, one token)`);
  return token;
}
