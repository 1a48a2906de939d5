import { hostname } from "node:os";
import { channelCredentials } from "../common/grpc/credentials.js";
import { createLogger, type Logger } from "../common/logging.js";
import { describeError, OptionError } from "../common/errors.js";
import { formatHostPort, formatHostPortList, type HostPort } from "../common/address.js";
import { VERSION } from "../common/version.js";
import type { BackoffOptions } from "../common/backoff.js";
import type { HostFacts } from "../common/facts.js";
import type { AgentHealth } from "../generated/proto/fleet/v1/AgentHealth.js";
import { parseEnrolToken } from "../common/pki/index.js";
import {
  enrol,
  obtainCredentials,
  onFirstController,
  RenewalScheduler,
  renew,
  saveCredentials,
  type AgentCredentials,
} from "./enroll/index.js";
import { collectFacts, factsFingerprint, type LibvirtProbe } from "./facts/index.js";
import { DEFAULT_FLAP, DEFAULT_RESYNC_INTERVAL_MS, Enforcer } from "./enforce/index.js";
import {
  ControllerLink,
  controllerUplinkGuard,
  DEFAULT_LINK_BACKOFF,
  DEFAULT_WELCOME_TIMEOUT_MS,
  inHostOrder,
  OutboxSender,
  speaksTls,
  type LinkStatus,
} from "./link/index.js";
import { LibvirtSession } from "./libvirt-session.js";
import { Planner } from "./plan/index.js";
import { AgentStore, type StoreHealth } from "./state/index.js";
import type { HostNetworkRuntime, PersistTarget } from "../kinds/index.js";

export interface AgentOptions {
  /**
   * The controller's agent endpoint, or several replicas (`--controller a,b,c`): this host
   * tries them in an order drawn from its name (link/controller-choice.ts), failing over to
   * the next after each failed attempt or broken stream.
   */
  controllers: readonly HostPort[];
  /** This host's name as the controller knows it (default: the OS host name). */
  name: string;
  stateDir: string;
  libvirtSocket: string;
  /** Plaintext, no certificates (a controller started with --insecure). */
  insecure: boolean;
  /** Enrolment token (`virtfleet token create`): needed only while this host has no usable stored certificate. */
  token?: string;
  /** How often facts are re-collected; they are re-sent only when their fingerprint changes. */
  factsIntervalMs: number;
  backoff: BackoffOptions;
  libvirtProbe?: LibvirtProbe;
  log?: Logger;
  /** Periodic full re-check of the bundle (default 5 min, plus up to 30 s jitter); 0 = none. */
  resyncIntervalMs?: number;
  /** Flap guard: repairs allowed per window (default 3 in 10 min). */
  flapThreshold?: number;
  flapWindowMs?: number;
  /**
   * Host networking's persistent configuration (kinds/host/network/persist): the folder and its
   * style. Default: detected (/etc/network/interfaces.d with ifupdown, else /etc/systemd/network).
   */
  hostNetworkConfig?: PersistTarget;
  /** Commit-confirm's wait for the controller after an uplink change (default 60 s). */
  uplinkConfirmTimeoutMs?: number;
}

export const DEFAULT_AGENT_STATE_DIR = "/var/lib/virtfleet/agent";
export const DEFAULT_FACTS_INTERVAL_MS = 60_000;

export function defaultAgentName(): string {
  return hostname();
}

export { DEFAULT_LINK_BACKOFF, DEFAULT_RESYNC_INTERVAL_MS, DEFAULT_FLAP };

/**
 * The agent process: enforces the cached policy bundle (from the first moment, controller
 * or not), collects facts, holds the controller link, takes new bundles and commands from
 * it, and sends reports and drift events from the outbox. `start()` resolves once
 * enforcement has started, the first facts are collected and the link is started (not
 * connected: the link retries on its own). `stop()` stops enforcing and closes the stream
 * cleanly.
 */
export class Agent {
  readonly log: Logger;
  private store: AgentStore | undefined;
  private link: ControllerLink | undefined;
  private facts: HostFacts | undefined;
  private fingerprint = "";
  private factsTimer: NodeJS.Timeout | undefined;
  private collecting = false;
  private readonly startedAtMs = Date.now();
  private libvirt: LibvirtSession | undefined;
  private enforcer: Enforcer | undefined;
  private planner: Planner | undefined;
  /** Secure mode: the certificate this host connects with (replaced on renewal). */
  private credentials: AgentCredentials | undefined;
  private renewal: RenewalScheduler | undefined;
  /** The --token was spent (enrolled with it, or tried after a refusal): never sent twice by this process. */
  private tokenSpent = false;
  private reenrolling = false;
  /** Settles the `fatal` promise: a misconfiguration retrying cannot fix. */
  private declareFatal: (err: Error) => void = () => undefined;
  /**
   * Rejects nothing; resolves with the error when the agent found a misconfiguration that
   * retrying cannot fix (today: --insecure against a controller that speaks TLS). The caller
   * stops the agent and reports it; the agent itself keeps running until then.
   */
  readonly fatal: Promise<Error> = new Promise((resolve) => {
    this.declareFatal = resolve;
  });
  private probingTls = false;
  /** Holds the event loop open while the agent runs; every other timer is unref'd. */
  private anchor: NodeJS.Timeout | undefined;

  /** The controllers in the order this host tries them. */
  private readonly controllers: readonly HostPort[];

  constructor(readonly options: AgentOptions) {
    this.log = options.log ?? createLogger("agent");
    this.controllers = inHostOrder(options.controllers, options.name);
  }

  /** The controllers, the one the link is on (or tried last) first: where enrolment and renewal go. */
  private controllersFromCurrent(): HostPort[] {
    const current = this.link?.controller;
    const i = current ? this.controllers.indexOf(current) : -1;
    return i <= 0 ? [...this.controllers] : [...this.controllers.slice(i), ...this.controllers.slice(0, i)];
  }

  get linkState(): LinkStatus | undefined {
    return this.link?.state;
  }

  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      // release what was opened, or its handles keep the process alive
      await this.stop().catch((e: unknown) =>
        this.log.error({ err: describeError(e) }, "cleanup after a failed start failed"),
      );
      throw err;
    }
    // last: holds the event loop open only once everything is running
    this.anchor = setInterval(() => undefined, 1 << 30);
  }

  private async startParts(): Promise<void> {
    if (this.options.insecure) {
      this.log.warn(
        "INSECURE: plaintext gRPC to the controller (--insecure), no certificates; for local demos and tests only",
      );
    } else {
      // First: a refused token or a CA pin mismatch ends the start before anything else runs.
      const obtained = await obtainCredentials({
        controllers: this.controllers,
        host: this.options.name,
        stateDir: this.options.stateDir,
        token: this.options.token,
        backoff: this.options.backoff,
        log: this.log,
      });
      this.credentials = obtained.credentials;
      this.tokenSpent = obtained.enrolled;
    }
    this.store = AgentStore.open(this.options.stateDir, {
      warn: (message) => this.log.warn({ stateDir: this.options.stateDir }, message),
    });
    this.libvirt = new LibvirtSession(this.options.libvirtSocket, this.log);
    const libvirt = this.libvirt;
    const store = this.store;
    // host networking: the uplink is the route to the controller; a change of it is confirmed
    // by this link coming back READY (and a fresh connection to the controller)
    const hostNetwork: HostNetworkRuntime = {
      persist: this.options.hostNetworkConfig,
      uplink: controllerUplinkGuard(
        () => this.link?.controller ?? this.controllers[0]!,
        () => this.link?.state.state === "READY",
        this.options.uplinkConfirmTimeoutMs,
      ),
    };
    this.enforcer = new Enforcer({
      hypervisor: () => libvirt.get(),
      store,
      ownership: store.ownership,
      hostNetwork,
      hostName: this.options.name,
      watchHostLinks: true,
      log: this.log,
      resyncIntervalMs: this.options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
      flap: {
        threshold: this.options.flapThreshold ?? DEFAULT_FLAP.threshold,
        windowMs: this.options.flapWindowMs ?? DEFAULT_FLAP.windowMs,
      },
    });
    const enforcer = this.enforcer;
    enforcer.start();
    const planner = (this.planner = new Planner({
      hypervisor: () => libvirt.get(),
      log: this.log,
      ownership: store.ownership,
      hostNetwork,
      hostName: this.options.name,
    }));
    await this.refreshFacts();
    this.link = new ControllerLink(
      {
        controllers: this.controllers,
        insecure: this.options.insecure,
        credentials: this.credentials ? () => this.channelCredentials() : undefined,
        backoff: this.options.backoff,
        welcomeTimeoutMs: DEFAULT_WELCOME_TIMEOUT_MS,
        libvirtUnreachable: () => libvirt.unreachable,
        health: () => agentHealth(store.health()),
        outboxEntries: () => store.outbox.stats().entries,
      },
      () => ({
        hostName: this.options.name,
        agentVersion: VERSION,
        factsJson: JSON.stringify(this.facts ?? {}),
        factsFingerprint: this.fingerprint,
        startedAtMs: this.startedAtMs,
        bundleRevision: enforcer.revision,
      }),
      this.store,
      this.log,
    );
    const sender = new OutboxSender(this.link, store.outbox, this.log);
    this.link.handle({
      onWelcome: (w) => sender.onWelcome(w.lastEventSeq),
      onEventsAck: (upTo) => sender.onAck(upTo),
      onBundle: (b) => void enforcer.setBundle(b),
      onCommand: (c) => {
        this.log.info({ command: c.id, action: c.action }, "command from controller");
        if (c.action === "acknowledgeFlap") enforcer.acknowledgeFlap(c.acknowledgeFlap?.resource ?? "");
        else if (c.action === "resync") enforcer.resync();
        else if (c.action === "plan") void this.answerPlan(planner, c.id, c.plan?.bundle);
      },
      onRefused: () => void this.reenrolAfterRefusal(),
    });
    enforcer.onRecorded(() => sender.flush());
    // Degraded (the state folder cannot be written) or healthy again: the controller hears at once.
    store.onHealth((h) => {
      if (h.degradedReason)
        this.log.error(
          { reason: h.degradedReason, heldEvents: h.heldEvents },
          "degraded: the state folder cannot be written; enforcing on, events held in memory until it can",
        );
      else this.log.info("state folder writable again; held events and state written");
      this.link?.sendHealth();
      sender.flush();
    });
    this.link.onState((s) => {
      if (s.state !== "READY") sender.onDisconnect();
      if (s.state === "TRANSIENT_FAILURE" && this.options.insecure) void this.checkPlaintextAgainstTls();
      this.log.debug({ state: s.state, attempt: s.attempt }, "controller link state");
    });
    this.link.start();
    if (this.credentials) {
      this.renewal = new RenewalScheduler({
        controllers: () => this.controllersFromCurrent(),
        current: () => this.credentials!,
        renew,
        replace: (next) => {
          saveCredentials(this.options.stateDir, next);
          this.credentials = next;
        },
        log: this.log,
      });
      this.renewal.start();
    }
    // clamped: a longer interval would overflow to 1 ms; 0 would be a busy loop
    this.factsTimer = setInterval(
      () => void this.checkFacts(),
      Math.min(2 ** 31 - 1, Math.max(100, this.options.factsIntervalMs)),
    );
    this.factsTimer.unref();
    this.log.info(
      {
        host: this.options.name,
        controllers: formatHostPortList(this.controllers),
        stateDir: this.options.stateDir,
      },
      "agent started",
    );
  }

  /** Closes the controller stream cleanly (bounded wait) and releases local state. */
  async stop(): Promise<void> {
    clearInterval(this.factsTimer);
    this.renewal?.stop();
    await this.planner?.stop();
    await this.enforcer?.stop();
    await this.link?.drain();
    await this.libvirt?.close();
    this.store?.close();
    this.store = undefined;
    clearInterval(this.anchor);
    this.log.info("agent stopped");
  }

  /**
   * The controller refused the stored certificate (e.g. revoked): when this process was given
   * a token it has not spent, enrol again with it once; the link's next attempt uses the new
   * certificate. Without a token the refusal stands (logged by the link).
   */
  private async reenrolAfterRefusal(): Promise<void> {
    if (!this.credentials || !this.options.token || this.tokenSpent || this.reenrolling) return;
    this.reenrolling = true;
    this.tokenSpent = true;
    try {
      this.log.warn("the controller refused the stored certificate; enrolling again with --token");
      const token = { ...parseEnrolToken(this.options.token), text: this.options.token.trim() };
      const next = await onFirstController(this.controllersFromCurrent(), (c) => enrol(c, token, this.options.name));
      saveCredentials(this.options.stateDir, next);
      this.credentials = next;
      this.log.info(
        { host: next.host, serial: next.serial, notAfter: new Date(next.notAfter).toISOString() },
        "enrolled again: certificate stored",
      );
    } catch (err) {
      this.log.error({ err: describeError(err) }, "enrolling again with --token failed; a new token is needed");
    } finally {
      this.reenrolling = false;
    }
  }

  /**
   * A plaintext (--insecure) link that fails: when the controller answers a TLS handshake, the
   * flag is wrong and no retry will ever connect; say so (fatal) instead of retrying forever.
   * One probe at a time, of the controller whose attempt just failed (with replicas, each in
   * turn as the link moves on); a controller that is simply down answers nothing and the link retries.
   */
  private async checkPlaintextAgainstTls(): Promise<void> {
    if (this.probingTls) return;
    this.probingTls = true;
    try {
      const controller = this.link?.controller ?? this.controllers[0]!;
      if (!(await speaksTls(controller))) return;
      const where = formatHostPort(controller);
      this.log.error({ controller: where }, "the controller speaks TLS; --insecure cannot connect to it");
      this.declareFatal(
        new OptionError(
          "--insecure",
          `the controller at ${where} speaks TLS (it was started without --insecure): drop --insecure and enrol this host once with --token-file FILE holding a token from 'virtfleet token create'`,
        ),
      );
    } finally {
      this.probingTls = false;
    }
  }

  /** mTLS with the current certificate, trusting only the controller CA it was issued by. */
  private channelCredentials() {
    const c = this.credentials!;
    return channelCredentials({ insecure: false, tls: { caPem: c.caPem, certPem: c.certPem, keyPem: c.keyPem } });
  }

  /** Dry-runs a Command.plan bundle and sends the PlanResult (dropped when the link is down: the controller asks again). */
  private async answerPlan(planner: Planner, commandId: string, bundle: unknown): Promise<void> {
    const result = await planner.plan(commandId, bundle);
    try {
      const sent = this.link?.sendPlanResult(result) ?? false;
      if (!sent) this.log.info({ command: commandId }, "plan result not sent: not connected to the controller");
    } catch (err) {
      this.log.error({ command: commandId, err: describeError(err) }, "cannot send plan result");
    }
  }

  /** Re-collects facts and sends them when they changed. */
  private async checkFacts(): Promise<void> {
    if (this.collecting) return;
    const before = this.fingerprint;
    await this.refreshFacts();
    if (this.fingerprint !== before) {
      const sent = this.link?.sendFacts(JSON.stringify(this.facts), this.fingerprint) ?? false;
      this.log.info({ sent }, "facts changed");
    }
  }

  private async refreshFacts(): Promise<void> {
    this.collecting = true;
    try {
      const facts = await collectFacts({
        libvirtSocket: this.options.libvirtSocket,
        libvirtProbe: this.options.libvirtProbe ?? this.libvirt?.probe(),
      });
      this.facts = facts;
      this.fingerprint = factsFingerprint(facts);
      if (facts.errors.length > 0) this.log.debug({ errors: facts.errors }, "some facts could not be read");
    } catch (err) {
      this.log.error({ err: describeError(err) }, "collecting facts failed; keeping the previous facts");
    } finally {
      this.collecting = false;
    }
  }
}

/** The store's health as the wire's AgentHealth (absent fields = healthy). */
function agentHealth(h: StoreHealth): AgentHealth {
  return h.degradedReason
    ? { degradedReason: h.degradedReason, degradedSinceMs: h.degradedSinceMs, heldEvents: h.heldEvents }
    : {};
}
