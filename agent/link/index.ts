export {
  ControllerLink,
  DEFAULT_WELCOME_TIMEOUT_MS,
  DEFAULT_LINK_BACKOFF,
  MAX_RECONNECT_SPREAD_MS,
  type LinkOptions,
  type HelloContent,
  type SequenceStore,
  type LinkHandlers,
  type EventBody,
} from "./controller-link.js";
export {
  transition,
  INITIAL_LINK_STATUS,
  InvalidTransitionError,
  type LinkState,
  type LinkEvent,
  type LinkStatus,
} from "./link-state.js";
export { OutboxSender, DEFAULT_SEND_WINDOW, type EventLink } from "./outbox-sender.js";
export { fitEvent, MAX_EVENT_JSON_BYTES } from "./fit-event.js";
export { speaksTls } from "./tls-probe.js";
export { controllerUplinkGuard, tcpReachable } from "./uplink-guard.js";
export {
  controllerOrder,
  inHostOrder,
  hostNameHash,
  firstChoice,
  afterFailure,
  waitForChosen,
  type ControllerChoice,
} from "./controller-choice.js";
