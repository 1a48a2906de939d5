import { describe, expect, it } from "vitest";
import { durationText } from "../../../cli/help-defaults.js";
import { buildProgram } from "../../../cli/program.js";

describe("--help defaults as a user types them (issue 21 item 18)", () => {
  it("durations as 10s/5m, the listen address as HOST:PORT", async () => {
    const help = (name: string) =>
      buildProgram(["node", "virtfleet", name]).then((p) =>
        p.commands
          .find((c) => c.name() === name)!
          .helpInformation()
          .replace(/\s+/g, " "),
      );
    const controller = await help("controller");
    expect(controller).toContain("(default: 127.0.0.1:7443)");
    expect(controller).toMatch(/--heartbeat-timeout <duration> .*\(default: 30s\)/);
    expect(controller).not.toMatch(/<duration>[^<]*default: \d+\)/);
    expect(controller).not.toContain('"host"');
    const agent = await help("agent");
    expect(agent).toMatch(/--resync-interval <duration> .*\(default: 5m\)/);
    expect(agent).toMatch(/--flap-window <duration> .*\(default: 10m\)/);
    expect(agent).not.toMatch(/<duration>[^<]*default: \d+\)/);
  });

  it("picks the largest unit that divides exactly", () => {
    expect([0, 250, 1_000, 90_000, 300_000, 5_400_000, 7_200_000].map(durationText)).toEqual([
      "0",
      "250ms",
      "1s",
      "90s",
      "5m",
      "90m",
      "2h",
    ]);
  });
});
