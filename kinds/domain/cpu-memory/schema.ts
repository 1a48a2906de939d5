import { Type } from "@sinclair/typebox";
import { choice, oneOf, size } from "../../../policy-primitives/schema-builders.js";

/**
 * The CPU and memory area of the domain kind: vcpus, memory, CPU mode. Contract for
 * additions: a new spec field is optional and left out by the resolver when the policy does
 * not set it (the spec hash of a guest that does not use it stays the same).
 */

export const CPU_MODES = ["host-model", "host-passthrough"] as const;

export const CPU_MEMORY_DOCUMENT_FIELDS = {
  vcpus: Type.Integer({ minimum: 1, maximum: 4096, description: "Required unless state is absent." }),
  memory: size("Required unless state is absent; at least 1MiB, a whole number of KiB."),
  cpu: choice(CPU_MODES, { description: "host-model | host-passthrough. Default host-model." }),
};

export const CPU_MEMORY_SPEC_FIELDS = {
  vcpus: Type.Integer({ minimum: 1 }),
  memoryBytes: Type.Integer({ minimum: 0 }),
  cpu: oneOf(CPU_MODES),
};
