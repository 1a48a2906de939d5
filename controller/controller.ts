import * as grpc from "@grpc/grpc-js";
import { hostname } from "node:os";
import {
  createLogger,
  describeError,
  fleetProto,
  formatHostPort,
  isLoopback,
  CONNECTION_LIMITS,
  listenGuarded,
  SERVER_CHANNEL_OPTIONS,
  type GuardedListener,
  type ConnectionLimits,
  serverCredentials,
  VirtfleetError,
  type HostPort,
  type Logger,
  VERSION,
} from "../common/index.js";
import {
  adminHandlers,
  auditAdminHandlers,
  DriftAdmin,
  issueAdminWithoutCa,
  policyAdminHandlers,
  policyPushHandlers,
  resyncAdminHandlers,
  rolloutAdminHandlers,
  hostRemoveHandlers,
  securityAdminHandlers,
  webSignInHandlers,
  type IssueAdmin,
} from "./admin/index.js";
import { AgentService, DEFAULT_AGENT_SERVICE_OPTIONS, StreamRelay, type AgentServiceOptions } from "./agents/index.js";
import { AuditLog, auditPolicyChanges, controllerAuditEvents, enrolmentAuditEvents } from "./audit/index.js";
import { authorizeAdmin, callerOf, installPeerAuthority, peerCertificateOf, transportGate } from "./auth/index.js";
import { EnrollService, TokenStore } from "./enroll/index.js";
import { ControllerPki, ensureBootstrapAdmin, issueAdminCertificate, type CaSource } from "./pki/index.js";
import { Alerts, type WebhookConfig } from "./alerts/index.js";
import { ComplianceService, DEFAULT_SNAPSHOT_CRON, touchOnChanges } from "./compliance/index.js";
import { DriftFeed, DriftRelay, EventStore, Ingestor, pruneHistory, signalIngest } from "./ingest/index.js";
import { BundleService } from "./bundles/index.js";
import { PlanRequester, PlanRequestStore, PlanRouter } from "./plan/index.js";
import { DEFAULT_POLICIES_DIR, PolicyRepository, PolicyRevisionLoader, PolicyStore } from "./policies/index.js";
import { storedLeader, storedLeaderAddress } from "./replicas/index.js";
import { isRemoval, RolloutStore } from "./rollout/index.js";
import { planFleet, planRemoval, RolloutRunner } from "./rollout-runner/index.js";
import { ControllerStore, defaultStoreLocation, storeDescription, type StoreLocation } from "./database/index.js";
import { PgDatabase } from "../common/postgres/index.js";
import {
  LOCAL_CLOCK,
  PgLeaderElection,
  PgSignals,
  ReplicaHeartbeat,
  SoleLeader,
  StaleStreamSweep,
  StoreClock,
  type Clock,
  type Leadership,
  type ReplicaSignals,
} from "./replicas/index.js";
import { HostConditions } from "./hosts/index.js";
import {
  adminCertificates,
  countEnrolments,
  metricsHandler,
  readMetricsToken,
  wireControllerMetrics,
  type ControllerMetrics,
  type MetricsRequestHandler,
} from "./metrics/index.js";
import { dashboardRoutes, WebServer, WebSessionStore, type RawHandler, type WebDeps } from "./web/index.js";

export interface ControllerOptions {
  listen: HostPort;
  /** This controller's own files (PKI, admin credentials, the lock; the SQLite store by default). */
  dataDir: string;
  /** The store (default: SQLite in `dataDir`, defaultStoreLocation). */
  store?: StoreLocation;
  /**
   * PostgreSQL store: this replica's name among the controllers sharing it (default
   * HOSTNAME:PORT) and what to do when it loses the leadership it held (default: stop). On a
   * PostgreSQL store a controller serves only while it leads (active/standby: docs/postgres.md).
   */
  replica?: { name?: string; onLeadershipLost?: (reason: string) => void };
  /** Plaintext, no certificates: loopback listen addresses only (refused otherwise). */
  insecure: boolean;
  /** Secure mode: the CA (own in `<data>/pki/` by default, or the operator's), agent certificate lifetime, more server names. */
  pki?: { ca?: CaSource; agentCertTtlMs?: number; extraNames?: string[] };
  /**
   * The watched policies folder (default DEFAULT_POLICIES_DIR); it must exist. null: none (the
   * stored revisions are in force; `virtfleet policy push` changes them).
   */
  policiesDir?: string | null;
  agents?: Partial<AgentServiceOptions>;
  /** Webhooks that receive alerts: a bare URL (validated http/https) gets the default event types, unsigned. */
  webhooks?: readonly (string | WebhookConfig)[];
  /** Rollout engine timing: tick interval (tests) and the plan stage's wait for answers (0 = no plan stage). */
  rollouts?: { tickMs?: number; planTimeoutMs?: number };
  /** Cron expression for compliance snapshots (default DEFAULT_SNAPSHOT_CRON, hourly). */
  complianceSnapshotCron?: string;
  /**
   * The dashboard's listener (controller/web): HTTPS with the server certificate (whose names then
   * include `listen.host`), plain HTTP only with `insecure` (loopback only). Undefined = no
   * dashboard (the CLI's default is DEFAULT_WEB_LISTEN; --no-web turns it off).
   */
  web?: {
    listen: HostPort;
    /** Raw handlers by exact path, served before the dashboard's authentication (e.g. /metrics: it checks access itself). */
    extraHandlers?: Record<string, RawHandler>;
    /** The sign-in links' and sessions' clock (tests move it rather than sleep). */
    now?: () => number;
    /**
     * true: when the address cannot be bound, log a warning and run without the dashboard (the
     * CLI's default address, which another controller on this machine may hold); false/absent:
     * the controller does not start.
     */
    optional?: boolean;
  };
  /** The listener's connection caps (default CONNECTION_LIMITS). */
  connectionLimits?: ConnectionLimits;
  /**
   * Prometheus metrics (controller/metrics, docs/metrics.md): `tokenFile` (0600) holds the bearer
   * token that exposes /metrics beyond loopback; `perHost` adds series with a host label.
   */
  metrics?: { tokenFile?: string; perHost?: boolean };
  log?: Logger;
}

/** How long a rollout's plan stage waits for the hosts' dry-run answers (0 = no plan stage). */
export const DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS = 10_000;
/** How often history past its retention is pruned. */
export const RETENTION_INTERVAL_MS = 3_600_000;
/** How long `stop()` lets in-flight calls finish before cutting them. */
export const SHUTDOWN_GRACE_MS = 3_000;

export class ControllerStartError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONTROLLER_START", message, options);
  }
}

/** The controller process: store + gRPC server with the agent stream and the admin API. */
export class Controller {
  private server: grpc.Server | undefined;
  private listener: GuardedListener | undefined;
  private store: ControllerStore | undefined;
  private agents: AgentService | undefined;
  private policies: PolicyRepository | undefined;
  private ingestor: Ingestor | undefined;
  private alerts: Alerts | undefined;
  private compliance: ComplianceService | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private driftAdmin: DriftAdmin | undefined;
  private rollouts: RolloutRunner | undefined;
  private boundPort = 0;
  private uninstallPeerAuthority: (() => void) | undefined;
  private tokens: TokenStore | undefined;
  private metrics: ControllerMetrics | undefined;
  private metricsToken: string | undefined;
  private web: WebServer<WebDeps> | undefined;
  private leadership: Leadership | undefined;
  /** The duties' clock: the database's on PostgreSQL (StoreClock), this machine's on SQLite. */
  private clock: Clock | undefined;
  /** Replicas (PostgreSQL): the signals between them, this one's heartbeat, the leader's sweep, the relays. */
  private signals: ReplicaSignals | undefined;
  private heartbeat: ReplicaHeartbeat | undefined;
  private sweep: StaleStreamSweep | undefined;
  private relay: StreamRelay | undefined;
  /** Plans: this replica's streams, and with replicas the requests to and from the others. */
  private planRouter: PlanRouter | undefined;
  private driftRelay: DriftRelay | undefined;
  /** Whether this controller runs the singleton duties (it leads). */
  private dutiesTaken = false;
  /** Set by stop() (reset by start()): the election's "stopped" is no lost leadership. */
  private stopRequested = false;
  /** Secure mode: the CA, issued certificates, client certificate checks (undefined with --insecure). */
  pki: ControllerPki | undefined;
  readonly log: Logger;

  constructor(readonly options: ControllerOptions) {
    this.log = options.log ?? createLogger("controller");
  }

  /** The dashboard's address (its bound port), or undefined when it is off. */
  get webAddress(): HostPort | undefined {
    return this.web?.address;
  }

  /** The dashboard's base URL (https://HOST:PORT), or undefined when it is off. */
  get webUrl(): string | undefined {
    return this.web?.url;
  }

  /** The address actually bound (the OS-chosen port when `listen.port` was 0). */
  get address(): HostPort {
    return { host: this.options.listen.host, port: this.boundPort };
  }

  async start(): Promise<HostPort> {
    this.stopRequested = false;
    const { listen, dataDir, insecure } = this.options;
    if (insecure) {
      if (!isLoopback(listen.host)) {
        throw new ControllerStartError(
          `--insecure refuses to listen on ${listen.host}: plaintext is for loopback only (127.0.0.1, ::1, localhost). ` +
            "Drop --insecure to serve mTLS (agents enrol with 'virtfleet token create'), or listen on 127.0.0.1",
        );
      }
      this.log.warn(
        "INSECURE: plaintext gRPC without client certificates (--insecure); any local process can act as any host or admin; for local demos and tests only",
      );
    }
    const tokenFile = this.options.metrics?.tokenFile;
    this.metricsToken = tokenFile === undefined ? undefined : await readMetricsToken(tokenFile);
    const location = this.options.store ?? defaultStoreLocation(dataDir);
    this.store = await ControllerStore.connect(location, dataDir, {
      warn: (message) => this.log.warn({ dataDir }, message),
    });
    this.log.info({ store: storeDescription(location), engine: location.engine }, "store open");
    // The transport first: a replica whose PKI is wrong (another CA, a wrong store key) is
    // refused at start, not when it would have come to lead.
    let credentials: grpc.ServerCredentials;
    let clock: Clock;
    try {
      // every stored time on the store's clock, certificates' validity included: replicas' own
      // clocks may be minutes off
      clock = this.clock = this.store.db instanceof PgDatabase ? await StoreClock.start(this.store.db) : LOCAL_CLOCK;
      credentials = await this.openTransport(clock);
    } catch (err) {
      if (this.clock instanceof StoreClock) this.clock.stop();
      await this.store.close();
      this.store = undefined;
      throw err;
    }
    const replicas = await this.joinReplicas(this.store).catch(async (err: unknown) => {
      if (this.clock instanceof StoreClock) this.clock.stop();
      await this.store?.close();
      this.store = undefined;
      this.uninstallPeerAuthority?.();
      this.uninstallPeerAuthority = undefined;
      throw err;
    });
    const { leadership, signals, name: replica } = replicas;
    this.leadership = leadership;
    this.signals = signals;
    const now = (): number => clock.now();
    // Every write of a singleton duty passes the fencing check (a sole SQLite controller: none).
    const duties = leadership.fenced(this.store.db);
    const pki = this.pki;
    // Replicas: only the streams this replica held (a crash left them shown connected).
    const stale = await this.store.hosts.markAllDisconnected("controller restarted", replica);
    const policies = new PolicyRepository({
      dir: this.options.policiesDir === null ? null : (this.options.policiesDir ?? DEFAULT_POLICIES_DIR),
      store: new PolicyStore(duties),
      leadership,
      signals,
      log: this.log,
    });
    // Who did what: admin mutations (by authorizeAdmin), enrolments, renewals, policy revisions
    // (subscribed before the first load: revisions made while the controller was down count).
    const audit = new AuditLog(this.store.db, now);
    const auditEvents = controllerAuditEvents(audit, this.log.child({ part: "audit" }));
    auditPolicyChanges(policies, auditEvents, this.log);
    await policies.start().catch(async (err: unknown) => {
      await this.store?.close();
      this.store = undefined;
      this.uninstallPeerAuthority?.();
      throw err;
    });
    this.policies = policies;
    const conditions = new HostConditions();
    this.agents = new AgentService(
      this.store.hosts,
      this.log,
      {
        ...DEFAULT_AGENT_SERVICE_OPTIONS,
        ...this.options.agents,
        conditions,
        replica,
        authenticate: pki ? (call) => pki.agentOf(peerCertificateOf(call)) : undefined,
      },
      now,
    );
    const startedAt = Date.now();
    const bundles = new BundleService(this.store.db, this.store.hosts, policies, this.log, now);
    if (signals) bundles.useSignals(signals);
    const revisions = new PolicyRevisionLoader(policies);
    const planRequester = new PlanRequester(this.log);
    this.agents.use(planRequester.hooks());
    const agents = this.agents;
    const rollouts = (this.rollouts = new RolloutRunner({
      db: duties,
      store: new RolloutStore(duties),
      policies,
      revisions,
      hosts: this.store.hosts,
      bundles,
      log: this.log.child({ part: "rollout" }),
      tickMs: this.options.rollouts?.tickMs,
      // replicas share the database's clock: a rollout's soak ends when it was stored to end,
      // whatever the clock of the replica that leads by then
      now: () => clock.now(),
      signals,
      role: leadership.state.leader ? "leader" : "follower",
    }));
    // Replicas: a target whose stream another replica holds is asked through it (plan_requests);
    // every replica answers for its own streams.
    const planRouter = (this.planRouter = new PlanRouter({
      agents,
      requester: planRequester,
      replicas: signals
        ? { signals, hosts: this.store.hosts, store: new PlanRequestStore(this.store.db), now }
        : undefined,
      log: this.log.child({ part: "plan" }),
    }));
    planRouter.start();
    const planDeps = { bundles, planner: planRouter, startedAt };
    const plan = async (policy: string, previous: string | null, timeoutMs: number) => {
      const p = policies.current().policies.find((x) => x.name === policy);
      if (!p) throw new Error(`policy ${policy} is not in force`);
      return planFleet(planDeps, p, previous, await rollouts.targetsOf(p), timeoutMs);
    };
    const planStageMs = this.options.rollouts?.planTimeoutMs ?? DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS;
    if (planStageMs > 0)
      rollouts.usePlanStage(async (r, done) => {
        const targets = Object.values(r.hosts)
          .filter((h) => h.stage >= 0)
          .map((h) => h.name)
          .sort();
        const planned = isRemoval(r)
          ? planRemoval(planDeps, r.policy, r.fromRevision, targets, planStageMs)
          : planFleet(planDeps, await revisions.get(r.policy, r.toRevision), r.fromRevision, targets, planStageMs);
        planned.then(done, (err: unknown) => {
          this.log.warn(
            { policy: r.policy, err: describeError(err) },
            "the rollout's plan stage failed; recording the failure as its plan",
          );
          done({ error: describeError(err) });
        });
      });
    // Before the bundles: rollouts decide which revision each host's first bundle carries.
    await rollouts.attach(this.agents);
    await bundles.attach(this.agents, { recomputeAll: leadership.state.leader });
    const events = new EventStore(this.store.db);
    const feed = new DriftFeed();
    const alerts = (this.alerts = new Alerts(duties, this.options.webhooks ?? [], this.log.child({ part: "alerts" })));
    const compliance = (this.compliance = new ComplianceService(
      duties,
      this.log,
      () => alerts.status(),
      now,
      conditions,
    ));
    // received_at on the database's clock with replicas (a resync's window compares them)
    this.ingestor = new Ingestor(events, feed, this.log, undefined, now, conditions);
    this.ingestor.addSink(async (changes, now, tx) => {
      await alerts.queueFor(changes, now, tx);
    });
    this.agents.use(this.ingestor);
    touchOnChanges(compliance.tally, { ingestor: this.ingestor, bundles, signals });
    const relay = signals
      ? new StreamRelay({
          agents,
          signals,
          hosts: this.store.hosts,
          refreshRevocations: pki ? () => pki.registry.refresh() : undefined,
          log: this.log.child({ part: "relay" }),
        })
      : undefined;
    if (signals && relay) {
      // What this replica's agents report reaches the other replicas' watchers and tallies, and
      // the leader's webhook loop (the deliveries are queued in the ingest's transaction).
      signalIngest(this.ingestor, signals, this.log);
      this.driftRelay = DriftRelay.start({ signals, store: events, feed, log: this.log, now });
      relay.start();
      this.relay = relay;
      signals.subscribe("ingest", (s) => {
        if (s.from !== signals.replica) alerts.wake();
      });
    }
    this.metrics = wireControllerMetrics(
      {
        agents: this.agents,
        conditions,
        hosts: this.store.hosts,
        compliance,
        rollouts,
        alerts,
        ingestor: this.ingestor,
        pki,
        ...(location.engine === "sqlite" ? { storeFile: location.path } : { storeDatabase: this.store.db }),
        log: this.log.child({ part: "metrics" }),
      },
      { perHost: this.options.metrics?.perHost === true },
    );
    this.driftAdmin = new DriftAdmin({
      hosts: this.store.hosts,
      events,
      feed,
      agents: this.agents,
      compliance,
      log: this.log,
    });
    const webSessions = this.options.web ? new WebSessionStore(this.store.db, this.options.web.now ?? now) : undefined;
    const webDeps: WebDeps = {
      hosts: this.store.hosts,
      conditions,
      agents,
      policies,
      compliance,
      events,
      feed,
      rollouts,
      audit,
      relay,
      leaderDashboard: signals ? async () => (await storedLeader(policies.store.queryable))?.webUrl || null : undefined,
      log: this.log.child({ part: "web" }),
    };
    const hostStore = this.store.hosts;
    /** Ends `host`'s stream here, and with replicas on the one holding it; true when it had one anywhere. */
    const disconnectEverywhere = async (host: string, reason: string): Promise<boolean> => {
      if (!relay) return agents.disconnect(host, reason);
      const elsewhere = (await hostStore.streamOf(host))?.connected === true;
      return (await relay.revoked([host], reason)) || elsewhere;
    };
    const proto = fleetProto();
    // Secure mode: callers without the right certificate are turned away before any handler.
    const server = new grpc.Server({
      ...SERVER_CHANNEL_OPTIONS,
      interceptors: pki ? [transportGate(callerOf, this.log, (call) => this.connectionAuthenticated(call))] : [],
    });
    server.addService(proto.AgentService.service, this.agents.handlers());
    const tokens = (this.tokens = pki ? new TokenStore(this.store.db, now) : undefined);
    if (pki && tokens) {
      server.addService(
        proto.EnrollService.service,
        new EnrollService({
          pki,
          tokens,
          callerOf,
          events: countEnrolments(enrolmentAuditEvents(auditEvents), this.metrics),
          log: this.log.child({ part: "enroll" }),
        }).handlers(),
      );
    }
    const security = securityAdminHandlers({
      pki,
      tokens,
      callerOf,
      // with replicas, also on the replica holding the stream (and re-read everywhere)
      disconnect: (host, reason) => disconnectEverywhere(host, reason),
      // a revoked admin's dashboard sessions end with its certificates
      adminRevoked: async (name) => {
        await relay?.adminRevoked(name);
        return (await webSessions?.endAllOf(name)) ?? 0;
      },
      log: this.log.child({ part: "pki" }),
    });
    const issueAdmin: IssueAdmin = pki
      ? (name, role, csrPem) => issueAdminCertificate(pki, { name, role, csrPem })
      : issueAdminWithoutCa;
    const handlers = {
      ...adminHandlers(
        this.store.hosts,
        this.log,
        compliance,
        () => policies.current().inventory,
        (host) => agents.session(host),
        conditions,
      ),
      ...this.driftAdmin.handlers(),
      ...resyncAdminHandlers({
        hosts: this.store.hosts,
        agents: this.agents,
        inventory: () => policies.current().inventory,
        relay,
        log: this.log,
      }),
      ...policyAdminHandlers(
        policies,
        this.store.hosts,
        this.log,
        () => bundles.hostProblems(),
        async (p) => (await rollouts.rolloutOf(p))?.state ?? "",
        (p, host) => rollouts.revisionHeldBy(p, host),
      ),
      ...policyPushHandlers({
        policies,
        leaderAddress: () => storedLeaderAddress(policies.store.queryable),
        log: this.log.child({ part: "policies" }),
      }),
      ...rolloutAdminHandlers({
        runner: rollouts,
        policies,
        plan,
        planRemoval: (r, timeoutMs) => planRemoval(planDeps, r.policy, r.fromRevision, rollouts.holders(r), timeoutMs),
        leaderAddress: () => storedLeaderAddress(policies.store.queryable),
        log: this.log,
      }),
      ...security,
      ...hostRemoveHandlers({
        hosts: this.store.hosts,
        pki,
        connected: async (host) =>
          agents.session(host) !== undefined ||
          (relay !== undefined && (await hostStore.streamOf(host))?.connected === true),
        disconnect: (host, reason) => disconnectEverywhere(host, reason),
        leaveRollouts: (host) => rollouts.removeHost(host),
        notLeader: signals
          ? async () =>
              rollouts.role === "leader" ? null : { leader: await storedLeaderAddress(policies.store.queryable) }
          : undefined,
        log: this.log.child({ part: "hosts" }),
      }),
      ...auditAdminHandlers({ audit, issueAdmin, log: this.log.child({ part: "audit" }) }),
      ...webSignInHandlers({
        web: () => {
          const web = this.web;
          return web && webSessions
            ? { url: web.url, createSignIn: (u, r) => webSessions.createSignIn(u, r) }
            : undefined;
        },
        callerOf,
        log: this.log.child({ part: "web" }),
      }),
    };
    // Every admin method checks the caller's role (controller/auth/roles.ts); mutations are audited.
    server.addService(
      proto.AdminService.service,
      authorizeAdmin(handlers, callerOf, audit, this.log.child({ part: "auth" })) as grpc.UntypedServiceImplementation,
    );
    this.server = server;
    const target = formatHostPort(listen);
    // Not bindAsync: listenGuarded caps connections per address and cuts silent ones (common/grpc/connection-guard.ts).
    this.listener = await listenGuarded(
      server,
      listen,
      credentials,
      this.options.connectionLimits ?? CONNECTION_LIMITS,
      this.log.child({ part: "listener" }),
      // mTLS: connections without a valid client certificate are cut after a deadline and capped.
      { requireAuthentication: Boolean(pki) },
    ).catch(async (err: unknown) => {
      err = new ControllerStartError(
        `cannot listen on ${target}: ${(err as Error).message} (is another controller running? choose another --listen)`,
        { cause: err },
      );
      await this.policies?.close();
      await this.store?.close();
      this.uninstallPeerAuthority?.();
      throw err;
    });
    this.boundPort = this.listener.port;
    if (this.options.web && webSessions) {
      const web = new WebServer<WebDeps>({
        listen: this.options.web.listen,
        tls: pki?.serverTls,
        routes: dashboardRoutes(webDeps),
        deps: webDeps,
        sessions: webSessions,
        audit,
        // /metrics checks its own access (loopback, a bearer token, or an admin certificate: docs/metrics.md)
        extraHandlers: { "/metrics": this.metricsHandler(), ...this.options.web.extraHandlers },
        log: webDeps.log,
      });
      try {
        await web.start();
        this.web = web;
      } catch (err) {
        if (!this.options.web.optional) {
          await this.stop();
          throw new ControllerStartError((err as Error).message, { cause: err });
        }
        this.log.warn(
          { err: describeError(err) },
          "running WITHOUT the dashboard: its default address is taken (choose one with --web-listen, or --no-web)",
        );
      }
    }
    if (replicas.election && this.store.db instanceof PgDatabase) {
      const db = this.store.db;
      // This replica's row (address, dashboard: where a follower sends `policy push`), kept
      // fresh every 5 s on the database's clock; the leader sweeps the hosts of dead replicas.
      this.heartbeat = await ReplicaHeartbeat.start(
        db,
        { replica, address: formatHostPort(this.reachableAddress()), webUrl: this.web?.url, version: VERSION },
        {
          // cut from the store for long: the leader may have marked this replica's hosts disconnected
          revived: () =>
            hostStore.reassertStreams(
              replica,
              agents.sessions().flatMap((s) => (s.host === undefined ? [] : [{ name: s.host, sessionId: s.id }])),
              clock.now(),
            ),
          log: this.log.child({ part: "replica" }),
        },
      );
      this.sweep = new StaleStreamSweep({
        db,
        leadership,
        hosts: hostStore,
        // the rollouts stop waiting on streams that died with their replica
        onMarked: (hosts) => rollouts.hostsDisconnected(hosts),
        log: this.log.child({ part: "replica" }),
      });
      this.sweep.start();
    }
    // The singleton duties: on the leader (a sole SQLite controller: at once), else when this
    // replica comes to lead (it stops the moment it loses the leadership: see joinReplicas).
    const takeDuties = async (): Promise<void> => {
      if (this.dutiesTaken) return;
      this.dutiesTaken = true;
      if (rollouts.role === "follower") await rollouts.lead();
      await alerts.start();
      compliance.startSchedule(this.options.complianceSnapshotCron ?? DEFAULT_SNAPSHOT_CRON);
      void this.pruneHistory();
      this.retentionTimer = setInterval(() => void this.pruneHistory(), RETENTION_INTERVAL_MS);
      this.retentionTimer.unref();
    };
    if (leadership.state.leader) {
      if (replicas.election)
        this.log.info({ replica, epoch: leadership.state.epoch }, "leading: this replica runs the duties");
      await takeDuties();
    } else {
      this.log.info(
        { replica },
        "following: another replica leads (it runs the duties); this one serves agents and admins",
      );
      const off = leadership.onChange((s) => {
        if (!s.leader) return;
        off();
        this.log.info({ replica, epoch: s.epoch }, "leading: this replica takes over the duties");
        takeDuties().catch((err: unknown) => {
          // a leader that does not run its duties would hold them from every other replica
          this.log.error(
            { err: describeError(err) },
            "taking over the duties failed: stopping (another replica takes over)",
          );
          const lost = this.options.replica?.onLeadershipLost;
          if (lost) lost("taking over the duties failed");
          else void this.stop();
        });
      });
    }
    this.log.info(
      {
        listen: formatHostPort(this.address),
        dataDir,
        hostsMarkedDisconnected: stale,
        transport: pki ? "mTLS" : "plaintext (--insecure)",
        dashboard: this.web?.url,
        caFingerprint: pki?.caFingerprint,
      },
      "controller listening",
    );
    return this.address;
  }

  /**
   * The address other replicas name to a caller (a follower's "ask the leader at …"): the
   * listen address, or for a wildcard listen (0.0.0.0, ::) the first --san name, else this
   * machine's host name, with the bound port.
   */
  private reachableAddress(): HostPort {
    const { host } = this.options.listen;
    if (host !== "0.0.0.0" && host !== "::" && host !== "") return this.address;
    return { host: this.options.pki?.extraNames?.[0] ?? hostname(), port: this.boundPort };
  }

  /**
   * The /metrics handler for the web listener; it may be taken before start() (it answers 503
   * until the metrics exist). Access (docs/metrics.md): loopback peers; with `metrics.tokenFile`
   * a bearer token instead; in secure mode also an admin client certificate of this controller's CA.
   */
  metricsHandler(): MetricsRequestHandler {
    let serving: { metrics: ControllerMetrics; handler: MetricsRequestHandler } | undefined;
    return async (req, res) => {
      const metrics = this.metrics;
      if (!metrics) {
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "5" });
        res.end("the controller is starting: no metrics yet\n");
        return;
      }
      if (serving?.metrics !== metrics) {
        const access = {
          token: this.metricsToken,
          clientCertificate: this.pki ? adminCertificates(this.pki) : undefined,
        };
        serving = { metrics, handler: metricsHandler(metrics, access, this.log.child({ part: "metrics" })) };
      }
      await serving.handler(req, res);
    };
  }

  /**
   * Secure: opens the PKI (CA, server certificate, bootstrap admin credential in
   * `<data>/admin/`) and returns TLS credentials; insecure: plaintext. Either way installs how
   * callerOf identifies callers for this process.
   */
  private async openTransport(clock: Clock): Promise<grpc.ServerCredentials> {
    const { listen, dataDir, insecure } = this.options;
    if (insecure) {
      this.uninstallPeerAuthority = installPeerAuthority("insecure");
      return serverCredentials({ insecure: true });
    }
    const pki = await ControllerPki.open({
      dataDir,
      db: this.store!.db,
      listenHost: listen.host,
      ca: this.options.pki?.ca,
      agentCertTtlMs: this.options.pki?.agentCertTtlMs,
      now: () => clock.now(),
      // The dashboard is served with the same certificate: it must name the --web-listen host too.
      extraNames: [
        ...(this.options.pki?.extraNames ?? []),
        ...(this.options.web ? [this.options.web.listen.host] : []),
      ],
    });
    if (pki.ca.created)
      this.log.info({ caCert: pki.ca.certFile, fingerprint: pki.caFingerprint }, "created the controller CA");
    if (await ensureBootstrapAdmin(pki, dataDir))
      this.log.info(
        { dir: `${dataDir}/admin` },
        "wrote the bootstrap admin credential (role admin) for the CLI: --data or VIRTFLEET_DATA",
      );
    this.pki = pki;
    this.uninstallPeerAuthority = installPeerAuthority(pki);
    return serverCredentials({ insecure: false, tls: pki.serverTls });
  }

  /**
   * This controller among the replicas sharing its store. SQLite: alone (SoleLeader, no
   * signals, replica name ''). PostgreSQL: enters the election (controller/replicas) and opens
   * the signals' listening connection; every replica serves agents and admins, the leader
   * also runs the singleton duties. A leader that loses the lock (its election connection
   * failed) calls `replica.onLeadershipLost` (default: stop()); its duty writes are refused
   * from then on.
   */
  private async joinReplicas(
    store: ControllerStore,
  ): Promise<{ name: string; leadership: Leadership; signals?: ReplicaSignals; election?: PgLeaderElection }> {
    if (!(store.db instanceof PgDatabase)) return { name: "", leadership: new SoleLeader() };
    const name = this.options.replica?.name ?? `${hostname()}:${this.options.listen.port}`;
    const election = new PgLeaderElection(store.db, { replica: name, log: this.log.child({ part: "election" }) });
    await election.start();
    let signals: PgSignals;
    try {
      signals = await PgSignals.start(store.db, { replica: name, log: this.log.child({ part: "signals" }) });
    } catch (err) {
      await election.stop();
      throw err;
    }
    let led = election.state.leader;
    election.onChange((s) => {
      if (s.leader) {
        led = true;
        return;
      }
      if (!led) return;
      led = false;
      // leaving the election because this controller stops is no loss to act on
      if (this.stopRequested) return;
      this.log.error({ replica: name, reason: s.reason }, "lost the leadership: stopping (another replica takes over)");
      const lost = this.options.replica?.onLeadershipLost;
      if (lost) lost(s.reason);
      else void this.stop();
    });
    return { name, leadership: election, signals, election };
  }

  /** Deletes history past its retention (old reports, long-resolved drift); never fails the controller. */
  private async pruneHistory(): Promise<void> {
    if (!this.store) return;
    try {
      const removed = await pruneHistory(
        this.leadership?.fenced(this.store.db) ?? this.store.db,
        this.clock?.now() ?? Date.now(),
      );
      if (removed.reports + removed.drift > 0) this.log.info(removed, "pruned history past its retention");
      const plans = (await this.planRouter?.prune()) ?? 0;
      if (plans > 0) this.log.info({ plans }, "deleted plan requests left behind by a stopped controller replica");
      const tokens = (await this.tokens?.prune()) ?? 0;
      if (tokens > 0) this.log.info({ tokens }, "forgot enrolment tokens expired for a week");
    } catch (err) {
      this.log.error({ err: describeError(err) }, "pruning history failed");
    }
  }

  /** A call with a valid client certificate arrived on this connection: the listener stops treating it as unauthenticated. */
  private connectionAuthenticated(call: grpc.ServerInterceptingCallInterface): void {
    const info = call.getConnectionInfo();
    this.listener?.authenticated(info.remoteAddress, info.remotePort);
  }

  /** Says Goodbye to every agent, drains in-flight calls (bounded), closes the store. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    const web = this.web;
    this.web = undefined;
    await web?.stop();
    this.compliance?.stop();
    this.rollouts?.stop();
    clearInterval(this.retentionTimer);
    this.dutiesTaken = false;
    this.sweep?.stop();
    this.sweep = undefined;
    this.heartbeat?.stop();
    this.heartbeat = undefined;
    this.relay?.stop();
    this.relay = undefined;
    this.planRouter?.stop();
    this.planRouter = undefined;
    this.driftRelay?.stop();
    this.driftRelay = undefined;
    this.driftAdmin?.close();
    const flushed = this.ingestor?.flush();
    const disconnects = this.agents?.shutdown("controller stopping");
    this.alerts?.stop();
    this.listener?.close();
    this.listener = undefined;
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    }
    // What follows must all run even when the store has gone away (PostgreSQL restarting):
    // a replica that stops to stand by again starts from a clean slate.
    const settle = async (what: string, work: Promise<unknown> | undefined): Promise<void> => {
      try {
        await work;
      } catch (err) {
        this.log.warn({ err: describeError(err) }, `stopping: ${what} failed`);
      }
    };
    await settle("closing the policies", this.policies?.close());
    await settle("writing the last events", flushed);
    await settle("saying goodbye to agents", disconnects);
    if (this.clock instanceof StoreClock) this.clock.stop();
    this.clock = undefined;
    await settle("closing the signals", this.signals?.stop());
    this.signals = undefined;
    await settle("leaving the election", this.leadership?.stop());
    this.leadership = undefined;
    await settle("closing the store", this.store?.close());
    this.uninstallPeerAuthority?.();
    this.uninstallPeerAuthority = undefined;
    this.policies = undefined;
    this.server = undefined;
    this.store = undefined;
    this.log.info("controller stopped");
  }
}
