/** Largest gRPC message either side accepts; a larger one fails the call with RESOURCE_EXHAUSTED. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Largest facts document the controller stores. */
export const MAX_FACTS_BYTES = 1024 * 1024;

/** Channel options shared by the agent's and the CLI's clients. */
export const CLIENT_CHANNEL_OPTIONS = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  // The agent's link state machine owns reconnect backoff; keep the channel's own short.
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2_000,
} as const;
