import { describe, expect, it } from "vitest";
import type { Route } from "../../../controller/web/index.js";
import { Router } from "../../../controller/web/router.js";

const route = (method: "GET" | "POST", path: string): Route<unknown> => ({
  method,
  path,
  role: "viewer",
  handle: async () => ({ kind: "json", body: path }),
});

describe("the dashboard router", () => {
  const router = new Router([
    route("GET", "/"),
    route("GET", "/hosts"),
    route("GET", "/hosts/:name"),
    route("POST", "/rollouts/:policy/:action"),
  ]);

  it("matches literal paths and decodes parameters", () => {
    expect(router.match("GET", "/")).toMatchObject({ route: { path: "/" }, params: {} });
    expect(router.match("GET", "/hosts/")).toMatchObject({ route: { path: "/hosts" } });
    expect(router.match("GET", "/hosts/kvm%2001")).toMatchObject({
      route: { path: "/hosts/:name" },
      params: { name: "kvm 01" },
    });
    expect(router.match("POST", "/rollouts/web/pause")).toMatchObject({ params: { policy: "web", action: "pause" } });
  });

  it("says which methods a known path allows (405) and nothing for an unknown one (404)", () => {
    expect(router.match("POST", "/hosts")).toEqual({ allowed: ["GET"] });
    expect(router.match("GET", "/rollouts/web/pause")).toEqual({ allowed: ["POST"] });
    expect(router.match("GET", "/nothing")).toBeUndefined();
    expect(router.match("GET", "/hosts/a/b")).toBeUndefined();
  });

  it("does not match a parameter that does not decode", () => {
    expect(router.match("GET", "/hosts/%E0%A4%A")).toBeUndefined();
  });

  it("refuses duplicate routes and patterns without a leading slash", () => {
    expect(() => new Router([route("GET", "/a"), route("GET", "/a")])).toThrow(/two routes for GET \/a/);
    expect(() => new Router([route("GET", "a")])).toThrow(/must start with/);
  });
});
