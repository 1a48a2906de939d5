import type { HostPort } from "../../../common/address.js";

/** The flags of `virtfleet agent install` (spec/cli.md "Additions"), as commander parses them. */
export interface AgentInstallFlags {
  /** One controller or several replicas, as given. */
  controller: HostPort[];
  tokenFile: string;
  name: string;
  root: string;
  /** false with --no-start */
  start: boolean;
  force?: boolean;
}
