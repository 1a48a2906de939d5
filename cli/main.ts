#!/usr/bin/env node
import { CommanderError } from "commander";
import { describeError } from "../common/errors.js";
import { exitQuietlyOnClosedOutput } from "./closed-output.js";
import { exitCodeFor } from "./exit-codes.js";
import { buildProgram } from "./program.js";

async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeFor(err);
    process.stderr.write(`virtfleet: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}

exitQuietlyOnClosedOutput();
process.exitCode = await main(process.argv);
