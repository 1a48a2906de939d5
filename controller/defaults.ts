import type { HostPort } from "../common/address.js";

/**
 * The controller's defaults and the layout of its data folder that the CLI's admin commands
 * share. This module imports nothing at run time: a `virtfleet hosts` or `compliance` process
 * takes these without loading the controller (SQLite, the policy parser, the scheduler).
 */
export const DEFAULT_LISTEN: HostPort = { host: "127.0.0.1", port: 7443 };
export const DEFAULT_CONTROLLER_DATA_DIR = ".virtfleet/controller";
/** The admin credential's folder inside the data folder, and its files (written by the controller at start). */
export const ADMIN_DIR = "admin";
export const ADMIN_FILES = { key: "key.pem", cert: "cert.pem", ca: "ca.pem" } as const;
/** Longest wait for the hosts' dry-run answers an admin may ask of `plan`. */
export const MAX_PLAN_TIMEOUT_MS = 300_000;
/** The gRPC trailer of a `policy push` refused by a follower replica: the leader's address (host:port), when known (the CLI pushes there once). */
export const LEADER_TRAILER = "virtfleet-leader";
