import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Agent } from "../../../agent/agent.js";
import { silentLogger } from "../../../common/index.js";

describe("agent start", () => {
  it("leaves no keep-alive timer behind when start fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vf-agent-"));
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    const agent = new Agent({
      controllers: [{ host: "127.0.0.1", port: 1 }],
      name: "h",
      stateDir: join(file, "state"),
      libvirtSocket: join(dir, "no-socket"),
      insecure: true,
      factsIntervalMs: 60_000,
      backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 },
      log: silentLogger(),
    });
    try {
      await expect(agent.start()).rejects.toThrow();
      expect((agent as unknown as { anchor: unknown }).anchor).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
