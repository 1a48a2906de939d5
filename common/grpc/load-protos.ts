import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { dirname } from "node:path";
import type { ProtoGrpcType as AgentProto } from "../../generated/proto/agent.js";
import type { ProtoGrpcType as AdminProto } from "../../generated/proto/admin.js";
import type { ProtoGrpcType as EnrollProto } from "../../generated/proto/enroll.js";
import { findUp } from "../paths.js";

/**
 * Loader options; they must match the flags in scripts/gen-proto.sh so the generated types
 * describe what the loader produces.
 */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export type FleetProto = AgentProto["fleet"]["v1"] & AdminProto["fleet"]["v1"] & EnrollProto["fleet"]["v1"];
/** What an agent speaks: the agent stream and enrolment, not the admin API. */
export type AgentSideProto = AgentProto["fleet"]["v1"] & EnrollProto["fleet"]["v1"];
/** What the CLI speaks: the admin API. */
export type AdminProtoPackage = AdminProto["fleet"]["v1"];

const AGENT = "fleet/v1/agent.proto";
const ADMIN = "fleet/v1/admin.proto";
const ENROLL = "fleet/v1/enroll.proto";
const loaded = new Map<string, unknown>();

/** The `fleet.v1` package of `files` (under proto/), loaded once per set of files. */
function load<T>(files: readonly string[]): T {
  const key = files.join(",");
  let pkg = loaded.get(key);
  if (!pkg) {
    const root = dirname(dirname(dirname(findUp("proto/fleet/v1/agent.proto"))));
    const def = protoLoader.loadSync([...files], { ...LOADER_OPTIONS, includeDirs: [root] });
    pkg = (grpc.loadPackageDefinition(def) as unknown as { fleet: { v1: unknown } }).fleet.v1;
    loaded.set(key, pkg);
  }
  return pkg as T;
}

/** The whole `fleet.v1` package (agent, admin and enrolment services): the controller's. */
export function fleetProto(): FleetProto {
  return load<FleetProto>([AGENT, ADMIN, ENROLL]);
}

/**
 * Only the agent stream and enrolment: the agent process does not load the admin API's
 * definitions (~0.4 MB of live heap, more while loading).
 */
export function agentSideProto(): AgentSideProto {
  return load<AgentSideProto>([AGENT, ENROLL]);
}

/** Only the admin API: the CLI's. */
export function adminProto(): AdminProtoPackage {
  return load<AdminProtoPackage>([ADMIN]);
}
