/**
 * A URL safe to show in logs, reports and errors: userinfo (`user:pass@`) becomes `***@`.
 * Unparsable input is returned as `<unparsable URL>` (it might hold credentials).
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "<unparsable URL>";
  }
  if (u.username === "" && u.password === "") return u.href;
  u.username = "";
  u.password = "";
  return u.href.replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, "$1***@");
}
