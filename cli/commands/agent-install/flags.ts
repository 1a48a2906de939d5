import type { HostPort } from "../../../common/address.js";

/** The flags of `virtfleet agent install` (spec/cli.md "Additions"), as commander parses them. */
export interface AgentInstallFlags {
  controller: HostPort;
  tokenFile: string;
  name: string;
  root: string;
  /** false with --no-start */
  start: boolean;
  force?: boolean;
}
