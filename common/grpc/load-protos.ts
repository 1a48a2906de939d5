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

let cached: FleetProto | undefined;

/** Loads proto/fleet/v1/*.proto once and returns the typed `fleet.v1` package. */
export function fleetProto(): FleetProto {
  if (!cached) {
    const root = dirname(dirname(dirname(findUp("proto/fleet/v1/agent.proto"))));
    const def = protoLoader.loadSync(["fleet/v1/agent.proto", "fleet/v1/admin.proto", "fleet/v1/enroll.proto"], { ...LOADER_OPTIONS, includeDirs: [root] });
    const pkg = grpc.loadPackageDefinition(def) as unknown as AgentProto & AdminProto & EnrollProto;
    cached = pkg.fleet.v1 as FleetProto;
  }
  return cached;
}
