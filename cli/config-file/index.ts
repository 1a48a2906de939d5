/**
 * Configuration files for long-running commands (`virtfleet controller`, `virtfleet agent`):
 * a YAML mapping of the command's long option names to values, command line over file over
 * defaults (docs/operations.md). Only the attaching surface is exported here: the loader
 * (load.ts, which brings the YAML parser) is imported on demand, so `virtfleet agent` without
 * a configuration file loads no YAML. Tests import load.ts directly.
 */
export { useConfigFile, type ConfigFileUse } from "./attach.js";

/** Where `virtfleet controller` and `virtfleet agent` look when --config is not given. */
export const DEFAULT_CONTROLLER_CONFIG = "/etc/virtfleet/controller.yaml";
export const DEFAULT_AGENT_CONFIG = "/etc/virtfleet/agent.yaml";
