/**
 * Controller replicas on one PostgreSQL store: who runs the singleton duties (Leadership:
 * PgLeaderElection on PostgreSQL, SoleLeader on SQLite), and the fencing every duty's writes
 * pass (FencedQueryable, FencedError), the signals between replicas, and which replicas are
 * alive (ReplicaHeartbeat; the leader's StaleStreamSweep). Owns the tables `controller_leader`
 * (schema step 10) and `controller_replicas` (step 11).
 */
export { REPLICAS_SCHEMA, REPLICAS_SCHEMA_PG } from "./schema.js";
export { FencedError } from "./errors.js";
export { FencedQueryable } from "./fenced-queryable.js";
export { SoleLeader, type LeaderState, type Leadership } from "./leadership.js";
export { LEADER_LOCK_KEY, PgLeaderElection, type PgLeaderElectionOptions } from "./pg-leader-election.js";
export {
  LocalSignals,
  MAX_PAYLOAD_BYTES,
  payloads,
  PgSignals,
  SIGNAL_CHANNELS,
  type PgSignalsOptions,
  type ReplicaSignals,
  type Signal,
  type SignalChannel,
} from "./signals.js";
export { LOCAL_CLOCK, StoreClock, type Clock, type StoreClockOptions } from "./store-clock.js";
export { storedLeader, storedLeaderAddress } from "./leader-address.js";
export {
  listReplicas,
  liveReplicas,
  REPLICA_HEARTBEAT_MS,
  ReplicaHeartbeat,
  STALE_REPLICA_MS,
  STALE_SWEEP_MS,
  StaleStreamSweep,
  type ReplicaHeartbeatOptions,
  type ReplicaRegistration,
  type ReplicaView,
  type StaleStreamMarker,
  type StaleStreamSweepOptions,
} from "./replica-registry.js";
