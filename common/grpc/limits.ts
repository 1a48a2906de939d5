/** Largest gRPC message either side accepts; a larger one fails the call with RESOURCE_EXHAUSTED. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Largest admin API answer the CLI accepts and the controller sends (e.g. `compliance` of
 * 10,000 hosts with many policies each; host lists are paged). Agents still refuse anything
 * over MAX_MESSAGE_BYTES, so a bundle that large fails that agent's stream either way.
 */
export const MAX_ADMIN_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Largest facts document the controller stores. */
export const MAX_FACTS_BYTES = 1024 * 1024;

/**
 * Channel options shared by the agent's and the CLI's clients. The receive limit is the
 * agent's bound on what a controller may send it: a larger message (e.g. an oversized policy
 * bundle) fails the stream with RESOURCE_EXHAUSTED before it is parsed; the agent logs the
 * stream failure, keeps enforcing the bundle it has, and reconnects.
 */
export const CLIENT_CHANNEL_OPTIONS = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  // The agent's link state machine owns reconnect backoff; keep the channel's own short.
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2_000,
  // No channelz bookkeeping (per-call traces nobody reads here).
  "grpc.enable_channelz": 0,
  // One DNS name with several addresses (controller replicas behind one name): each client
  // tries them in an order of its own (pick_first, shuffled), so a fleet spreads over them and
  // a client whose address fails moves to the next.
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ pick_first: { shuffleAddressList: true } }] }),
} as const;

/** The CLI's admin channel: as CLIENT_CHANNEL_OPTIONS, but large answers (MAX_ADMIN_MESSAGE_BYTES) are accepted. */
export const ADMIN_CHANNEL_OPTIONS = {
  ...CLIENT_CHANNEL_OPTIONS,
  "grpc.max_receive_message_length": MAX_ADMIN_MESSAGE_BYTES,
} as const;

/**
 * The controller's server options. Per connection at most 100 concurrent streams (an agent
 * needs one, the CLI a few; Node's default is unlimited) and 64 MB of HTTP/2 session memory
 * (grpc-js's default disables the bound); received messages as for clients, sent ones up to
 * MAX_ADMIN_MESSAGE_BYTES (admin answers; agents refuse more than MAX_MESSAGE_BYTES); keepalive pings to find
 * dead peers, and pings from peers at most every 10 s.
 */
export const SERVER_CHANNEL_OPTIONS = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_ADMIN_MESSAGE_BYTES,
  "grpc.max_concurrent_streams": 100,
  "grpc-node.max_session_memory": 64,
  "grpc.keepalive_time_ms": 60_000,
  "grpc.keepalive_timeout_ms": 20_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  // No channelz bookkeeping: per connection and call it costs memory and CPU, and nothing
  // here serves the channelz API.
  "grpc.enable_channelz": 0,
} as const;

export interface ConnectionLimits {
  /** Connections open at once from one remote address. */
  perAddress: number;
  /** Connections open at once in all (keep well below the process's file descriptor limit). */
  total: number;
  /** A connection must send its first 24 bytes (HTTP/2 preface or TLS hello) within this. */
  handshakeMs: number;
  /**
   * Unauthenticated connections held at once (mTLS: no call with a valid client certificate
   * yet). A new connection past it closes the oldest unauthenticated one of the remote address
   * holding the most of them; it is never refused for this cap.
   */
  unauthenticated: number;
  /** An unauthenticated connection is closed this long after it was accepted (mTLS only). */
  unauthenticatedMs: number;
}

/** The controller listener's connection limits (connection-guard.ts). */
export const CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 1_000,
  total: 15_000,
  handshakeMs: 10_000,
  unauthenticated: 2_000,
  unauthenticatedMs: 10_000,
};
