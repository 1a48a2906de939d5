import type { HostPort } from "../../common/address.js";

/** Where the dashboard listens when the controller runs through the CLI (`--web-listen`). */
export const DEFAULT_WEB_LISTEN: HostPort = { host: "127.0.0.1", port: 7444 };
