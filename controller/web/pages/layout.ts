import { csrfField } from "../format.js";
import { html, type Html } from "../html.js";
import type { WebSession } from "../route.js";

/** The navigation, in order: path and label (the live pages come from controller/web/live). */
export const NAV: readonly { path: string; label: string }[] = [
  { path: "/", label: "Overview" },
  { path: "/hosts", label: "Hosts" },
  { path: "/drift", label: "Drift" },
  { path: "/compliance", label: "Compliance" },
  { path: "/rollouts", label: "Rollouts" },
  { path: "/audit", label: "Audit" },
];

/**
 * htmx settings that fit the Content-Security-Policy (no inline script or style): no eval, no
 * injected indicator <style>, no <script> in swapped content.
 */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false });

function isCurrent(navPath: string, path: string): boolean {
  return navPath === "/" ? path === "/" : path === navPath || path.startsWith(`${navPath}/`);
}

/** A whole page: head (our stylesheet, htmx + SSE extension, deferred), navigation, the user and sign-out, then `body`. */
export function layout(title: string, body: Html, session: WebSession, path: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · virtfleet</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/sse.min.js" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="/">virtfleet</a>
<nav aria-label="main">
${NAV.map((n) => html`<a href="${n.path}"${isCurrent(n.path, path) ? html` aria-current="page"` : ""}>${n.label}</a>`)}
</nav>
<form class="signout" method="post" action="/signout">
<span class="who">${session.user} <span class="role">${session.role}</span></span>
${csrfField(session)}<button type="submit">Sign out</button>
</form>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

/** A page for someone without a session (sign-in help, a refused link): no navigation, no scripts. */
export function bareLayout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · virtfleet</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body>
<header class="top"><span class="brand">virtfleet</span></header>
<main class="narrow">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}
