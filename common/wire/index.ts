/**
 * The wire contracts both ends import (agent, controller, CLI): protocol versions, typed
 * values and field changes, the one drift mapper, outcome/report conversion, and the facts
 * contract (JSON that stays JSON). Light on purpose: no TypeBox, Ajv or yaml, so the agent
 * can load it at start-up.
 */
export * from "./protocol.js";
export * from "./json-value.js";
export * from "./changes.js";
export * from "./drift.js";
export * from "./outcomes.js";
export * from "./facts-contract.js";
export * from "./admin-documents.js";
export * from "./states.js";
