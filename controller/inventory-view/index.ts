export { selectHosts, resolveHost, type ResolvedHost, type HostQuery } from "./select-hosts.js";
