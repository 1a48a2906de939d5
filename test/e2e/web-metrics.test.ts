import { request } from "node:https";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../harness/processes.js";
import { startDashboard, type Dashboard } from "../harness/dashboard.js";

// /metrics on the dashboard's HTTPS listener once it is exposed with a bearer token
// (--metrics-token-file): every peer, loopback included, needs the token or an admin client
// certificate of the controller's CA (the listener asks for an optional one; pages ignore it).

const tmp = tempDir("vft-webmetrics-");
const tokenFile = join(tmp.path, "metrics-token");
const TOKEN = "vft-metrics-token-0123456789abcdef";
let d: Dashboard;

function get(path: string, o: { token?: string; cert?: boolean } = {}): Promise<{ status: number; body: string }> {
  const admin = join(d.dataDir, "admin");
  return new Promise((resolve, reject) => {
    const req = request(
      `${d.base}${path}`,
      {
        ca: readFileSync(join(admin, "ca.pem")),
        ...(o.cert ? { cert: readFileSync(join(admin, "cert.pem")), key: readFileSync(join(admin, "key.pem")) } : {}),
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  d = await startDashboard({ tmpPrefix: "vft-webmetrics-", controller: { metrics: { tokenFile } } });
}, 120_000);
afterAll(async () => {
  await d?.stop();
  tmp.cleanup();
});

describe("/metrics exposed with a token on the HTTPS dashboard listener", () => {
  it("refuses a loopback peer without the token or with a wrong one (401), never echoing it", async () => {
    expect((await get("/metrics")).status).toBe(401);
    const wrong = await get("/metrics", { token: "not-the-token-at-all-000" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain("not-the-token");
  });

  it("serves the bearer of the token", async () => {
    const r = await get("/metrics", { token: TOKEN });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^virtfleet_agents_connected 0$/m);
  });

  it("serves an admin client certificate of the controller's CA; the pages still want a session", async () => {
    const r = await get("/metrics", { cert: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^virtfleet_agents_connected 0$/m);
    expect((await get("/hosts", { cert: true })).status).toBe(303);
  });
});
