import { html, type Html } from "../html.js";
import type { SignInRefusal } from "../session-store.js";
import { bareLayout } from "./layout.js";

const REFUSALS: Record<SignInRefusal, string> = {
  unknown: "This sign-in link is not valid.",
  used: "This sign-in link was already used: each link signs in once.",
  expired: "This sign-in link has expired: links are valid for 60 seconds.",
};

/** The page shown without a session: how to get a sign-in link (and why a link was refused). */
export function signInPage(refused?: SignInRefusal): Html {
  return bareLayout(
    "Sign in",
    html`${refused ? html`<p class="refused" role="alert">${REFUSALS[refused]}</p>` : ""}
<p>The dashboard has no passwords. Ask the controller for a one-time sign-in link with the
<code>virtfleet</code> command and an admin credential:</p>
<pre>virtfleet web login                 # your own role
virtfleet web login --role viewer   # read-only</pre>
<p>Open the printed link within 60 seconds. It works once; the session it opens lasts at most
12 hours (2 hours without activity). Your admin credential's role caps the role you may ask for.</p>`,
  );
}
