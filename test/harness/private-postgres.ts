import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./processes.js";
import { issueServerCert, makeTestCa } from "./test-ca.js";

const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A PostgreSQL server of the test's own (initdb in a temp folder, run as the `postgres` OS
 * user, listening on 127.0.0.1:<free port> and a unix socket in the folder), for tests that
 * stop, restart or break the server: the shared test cluster is never touched. The invoking
 * user connects over the socket as the superuser `postgres` (trust, local only).
 *
 * With `tls`, the server also serves TLS with a certificate of a throwaway CA (`caFile`) for
 * `tls.names`, and TCP connections must use TLS and a password (scram-sha-256): only roles
 * with a password (`createRole`) log in over TCP.
 */
export interface PrivatePostgresOptions {
  tls?: {
    /** The server certificate's subjectAltNames (default 127.0.0.1 and localhost). */
    names?: readonly string[];
  };
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** With `tls`: the CA that signed the server's certificate (PEM), readable by the test. */
  get caFile(): string {
    return join(this.dir, "server-ca.pem");
  }

  /** The URL of `database` (default `postgres`) over the socket, as the superuser. */
  url(database = "postgres"): string {
    return `postgres://postgres@localhost:${this.port}/${database}?host=${encodeURIComponent(this.socketDir)}`;
  }

  get socketDir(): string {
    return join(this.dir, "socket");
  }

  static async start(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
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
        `listen_addresses = '127.0.0.1'\nport = ${pg.port}\nunix_socket_directories = '${pg.socketDir}'\nfsync = off\nmax_connections = 200\n${options.tls ? pg.serveTls(options.tls.names ?? ["127.0.0.1", "localhost"], uid, gid) : ""}`,
      );
      await pg.startServer();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return pg;
  }

  /**
   * Makes the CA and the server certificate, and the pg_hba.conf that requires TLS and a
   * password on TCP; returns the postgresql.conf lines that turn TLS on.
   */
  private serveTls(names: readonly string[], uid: number, gid: number): string {
    const certs = join(this.dir, "tls");
    asPostgres("mkdir", ["-m", "0700", certs]);
    const work = mkdtempSync(join(tmpdir(), "vft-pg-ca-"));
    try {
      const ca = makeTestCa(work, "server-ca");
      const server = issueServerCert(ca, work, "server", names);
      copyFileSync(ca.cert, this.caFile);
      for (const [from, to] of [
        [server.cert, "server.pem"],
        [server.key, "server.key"],
      ] as const) {
        const file = join(certs, to);
        copyFileSync(from, file);
        chownSync(file, uid, gid);
        chmodSync(file, 0o600);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const hba = join(this.dataDir, "pg_hba.conf");
    writeFileSync(
      hba,
      "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n",
    );
    chownSync(hba, uid, gid);
    return `ssl = on\nssl_cert_file = '${join(certs, "server.pem")}'\nssl_key_file = '${join(certs, "server.key")}'\n`;
  }

  /** Creates a login role with `password` (stored as SCRAM) owning a new database of its name. */
  async createRole(role: string, password: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(
        `CREATE ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(password)}`,
      );
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(role)} OWNER ${client.escapeIdentifier(role)}`);
    } finally {
      await client.end();
    }
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
