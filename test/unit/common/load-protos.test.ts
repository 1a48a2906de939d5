import { describe, expect, it } from "vitest";
import { adminProto, agentSideProto, fleetProto } from "../../../common/grpc/load-protos.js";

const paths = (service: { service: Record<string, { path: string }> }): string[] =>
  Object.values(service.service)
    .map((m) => m.path)
    .sort();

describe("proto packages per process", () => {
  it("the agent's holds the agent stream and enrolment, the same methods as the controller's, and no admin API", () => {
    const agent = agentSideProto() as unknown as Record<string, unknown>;
    expect(paths(agentSideProto().AgentService)).toEqual(paths(fleetProto().AgentService));
    expect(paths(agentSideProto().EnrollService)).toEqual(paths(fleetProto().EnrollService));
    expect(agent.AdminService).toBeUndefined();
  });

  it("the CLI's holds the admin API, the same methods as the controller's, and nothing of the agent", () => {
    const admin = adminProto() as unknown as Record<string, unknown>;
    expect(paths(adminProto().AdminService)).toEqual(paths(fleetProto().AdminService));
    expect(paths(adminProto().AdminService).length).toBeGreaterThan(10);
    expect(admin.AgentService).toBeUndefined();
    expect(admin.EnrollService).toBeUndefined();
  });

  it("each is loaded once", () => {
    expect(agentSideProto()).toBe(agentSideProto());
    expect(adminProto()).toBe(adminProto());
    expect(fleetProto()).toBe(fleetProto());
  });
});
