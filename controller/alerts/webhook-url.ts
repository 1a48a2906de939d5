import { OptionError } from "../../common/index.js";

/** Parses a `--webhook` URL: absolute http(s) with a host. Throws OptionError naming the option. */
export function parseWebhookUrl(value: string, option = "--webhook"): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OptionError(
      option,
      `"${redactUrl(value)}" is not an absolute URL (expected http://HOST[:PORT]/PATH or https://…)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OptionError(option, `${redactUrl(url)}: only http and https URLs are supported, got ${url.protocol}`);
  }
  if (url.hostname === "") throw new OptionError(option, `${redactUrl(url)}: the URL has no host`);
  url.hash = "";
  return url;
}

/**
 * A URL safe to log or show: userinfo and query (where tokens live) are replaced with
 * "[redacted]". Text that does not parse as a URL is redacted from its first "@" or "?".
 */
export function redactUrl(value: string | URL): string {
  let url: URL;
  try {
    url = new URL(value.toString());
  } catch {
    return value
      .toString()
      .replace(/[^/]*@/, "[redacted]@")
      .replace(/\?.*$/, "?[redacted]");
  }
  const auth = url.username || url.password ? "[redacted]@" : "";
  const query = url.search ? "?[redacted]" : "";
  return `${url.protocol}//${auth}${url.host}${url.pathname}${query}`;
}
