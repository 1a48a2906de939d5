import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./processes.js";

const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A PostgreSQL server of the test's own (initdb in a temp folder, run as the `postgres` OS
 * user, listening on 127.0.0.1:<free port> and a unix socket in the folder), for tests that
 * stop, restart or break the server: the shared test cluster is never touched. The invoking
 * user connects over the socket as the superuser `postgres` (trust, local only).
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** The URL of `database` (default `postgres`) over the socket, as the superuser. */
  url(database = "postgres"): string {
    return `postgres://postgres@localhost:${this.port}/${database}?host=${encodeURIComponent(this.socketDir)}`;
  }

  get socketDir(): string {
    return join(this.dir, "socket");
  }

  static async start(): Promise<PrivatePostgres> {
    if (!existsSync(join(BIN, "initdb")))
      throw new Error(`PostgreSQL 15 is not installed (${BIN}): run scripts/setup-postgres.sh`);
    const dir = mkdtempSync(join(tmpdir(), "vft-pg-"));
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
    const pg = new PrivatePostgres(dir, await freePort());
    try {
      asPostgres(`${BIN}/initdb`, [
        "-D",
        pg.dataDir,
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
      ]);
      asPostgres("mkdir", ["-p", pg.socketDir]);
      writeFileSync(
        join(pg.dataDir, "postgresql.auto.conf"),
        `listen_addresses = '127.0.0.1'\nport = ${pg.port}\nunix_socket_directories = '${pg.socketDir}'\nfsync = off\nmax_connections = 200\n`,
      );
      await pg.startServer();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, "data");
  }

  /** Starts the stopped server (waits until it accepts connections). */
  async startServer(): Promise<void> {
    asPostgres(`${BIN}/pg_ctl`, ["-D", this.dataDir, "-l", join(this.dir, "log"), "-w", "-t", "30", "start"]);
  }

  /** Stops it: `fast` (clients are disconnected) or `immediate` (as a crash). */
  async stopServer(mode: "fast" | "immediate" = "fast"): Promise<void> {
    asPostgres(`${BIN}/pg_ctl`, ["-D", this.dataDir, "-m", mode, "-w", "-t", "30", "stop"]);
  }

  async restart(): Promise<void> {
    await this.stopServer("fast");
    await this.startServer();
  }

  /** Stops the server (whatever its state) and removes its folder. */
  async destroy(): Promise<void> {
    try {
      await this.stopServer("immediate");
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function asPostgres(cmd: string, args: string[]): void {
  execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}
