/**
 * A load generator worker process (bench/loadgen): runs simulated agents [from, to) of the
 * fleet benchmark and reports counters to its parent over IPC. Not part of the product.
 */
import { checkControllerIdentity } from "../../common/index.js";
import { prepareIdentities, simulatedHost } from "./identities.js";
import { STATS_EVERY_MS, type ToWorker, type WorkerInit, type WorkerStats } from "./protocol.js";
import { newStats, SimulatedAgent } from "./simulated-agent.js";
import { syntheticFacts } from "./synthetic-facts.js";
import { agentTargets } from "./targets.js";
import { dirname } from "node:path";
import { createSecureContext } from "node:tls";

const stats = newStats();
let agents: SimulatedAgent[] = [];
let driftTimer: NodeJS.Timeout | undefined;

function send(msg: WorkerStats): void {
  process.send?.(msg);
}

function snapshot(): WorkerStats {
  return {
    ...stats,
    type: "stats",
    agents: agents.length,
    ready: agents.length > 0,
    failuresByReason: Object.fromEntries(stats.failuresByReason),
    bundles: Object.fromEntries(stats.bundles),
    rssBytes: process.memoryUsage.rss(),
  };
}

async function init(m: WorkerInit): Promise<void> {
  const identities = m.tls ? await prepareIdentities(dirname(m.tls.identitiesFile), m.to) : [];
  for (let i = m.from; i < m.to; i++) {
    const id = identities[i];
    const host = id?.host ?? simulatedHost(i);
    // One TLS context per agent, made once (Node would parse the PEMs again on every connect).
    const tls =
      m.tls && id
        ? {
            secureContext: createSecureContext({ ca: m.tls.caPem, cert: id.certPem, key: id.keyPem }),
            checkServerIdentity: checkControllerIdentity,
          }
        : undefined;
    const targets = agentTargets(m.target, host).map(({ index, address }) => ({
      index,
      target: tls ? { authority: `https://${address}`, tls } : { authority: `http://${address}` },
    }));
    agents.push(
      new SimulatedAgent({
        host,
        targets,
        facts: syntheticFacts(host, i),
        stats,
        welcomeTimeoutMs: m.welcomeTimeoutMs,
      }),
    );
  }
  send(snapshot());
}

/** Spreads `perSecond` events over the connected agents, in 10 ms slices. */
function drift(perSecond: number, seconds: number): void {
  clearInterval(driftTimer);
  const end = Date.now() + seconds * 1000;
  let next = 0;
  let owed = 0;
  driftTimer = setInterval(() => {
    if (Date.now() >= end) return clearInterval(driftTimer);
    owed += perSecond / 100;
    for (let tries = 0; owed >= 1 && tries < agents.length; tries++) {
      const a = agents[next]!;
      next = (next + 1) % agents.length;
      if (a.sendDrift()) owed -= 1;
    }
  }, 10);
}

/**
 * Starts every agent as fast as this process can, START_CHUNK per event-loop turn: creating a
 * gRPC channel costs ~1 ms of CPU here, and a loop that created thousands at once would hold
 * back the I/O (and the welcome timers) of those already started.
 */
function startAll(): void {
  let next = 0;
  const chunk = () => {
    for (const end = Math.min(agents.length, next + START_CHUNK); next < end; next++) agents[next]!.start();
    if (next < agents.length) setImmediate(chunk);
  };
  chunk();
}

const START_CHUNK = 50;

process.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "init":
      init(m).catch((err: unknown) => {
        console.error(`loadgen worker: ${(err as Error).stack ?? String(err)}`);
        process.exit(1);
      });
      return;
    case "connect":
      startAll();
      return;
    case "drift":
      drift(m.perSecond, m.seconds);
      return;
    case "stop":
      clearInterval(driftTimer);
      for (const a of agents) a.stop();
      agents = [];
      setTimeout(() => process.exit(0), 200);
      return;
  }
});

setInterval(() => send(snapshot()), STATS_EVERY_MS).unref();
process.on("disconnect", () => process.exit(0));
