import * as grpc from "@grpc/grpc-js";
import { Command, CommanderError } from "commander";
import { vi } from "vitest";
import { exitCodeFor } from "../../../cli/exit-codes.js";
import { describeError } from "../../../common/index.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `virtfleet ARGS…` in-process the way cli/main.ts does, with only the commands
 * `register` adds; `--controller ADDRESS --insecure` are appended unless `--help` is asked.
 */
export async function runInProcess(
  register: (program: Command) => void,
  address: string,
  args: readonly string[],
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command("virtfleet")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  register(program);
  const spy = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  process.exitCode = undefined;
  let code: number;
  try {
    await program.parseAsync([
      "node",
      "virtfleet",
      ...args,
      ...(args.includes("--help") ? [] : ["--controller", address, "--insecure"]),
    ]);
    code = typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (!(e instanceof CommanderError)) err.push(`virtfleet: ${describeError(e)}\n`);
    code = exitCodeFor(e);
  } finally {
    spy.mockRestore();
    process.exitCode = undefined;
  }
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** Binds `server` on a free loopback port (plaintext); returns "127.0.0.1:PORT". */
export async function bindLoopback(server: grpc.Server): Promise<string> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return `127.0.0.1:${port}`;
}
