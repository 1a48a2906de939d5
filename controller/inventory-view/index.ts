export { selectHosts, selectResolved, resolveHost, type ResolvedHost, type HostQuery } from "./select-hosts.js";
