import type { Option } from "commander";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { ValidationError } from "../../common/errors.js";
import { parseYamlDocuments, type SourceDocument } from "../../policy-language/yaml-source.js";
import { formatIssue, type PolicyIssue } from "../../policy-primitives/issues.js";
import { nearestName } from "./nearest.js";

/**
 * Reading and checking a configuration file (format: docs/operations.md, "Configuration
 * files"). This module loads the YAML parser: the command modules reach it only through
 * attach.ts, by a dynamic import, when a configuration file is in use.
 */

/** Larger than any real configuration file; bounds what is read. */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;

/** The key that names the file itself: not accepted inside it. */
export const CONFIG_KEY = "config";

/** A configuration file is invalid (exit code 2); `issues` has every problem found, with file:line:col. */
export class ConfigFileError extends ValidationError {
  constructor(readonly issues: readonly PolicyIssue[]) {
    super(issues.map(formatIssue).join("\n"));
  }
}

/** One option set by the file: its value as the option's own parser made it. */
export interface ConfigSetting {
  /** The option's long name without `--` (the file's key). */
  key: string;
  option: Option;
  value: unknown;
}

/**
 * Reads `file` and turns it into settings of `options` (a command's options, `--config`, help
 * and version excluded). Throws ConfigFileError listing every problem: unreadable or
 * world-writable file, YAML syntax, not one mapping, unknown keys (with the nearest option
 * name), inline secrets (a key K when the command has a `K-file` option), wrong value types,
 * values the option's parser refuses.
 */
export function loadConfigFile(file: string, options: readonly Option[]): ConfigSetting[] {
  const text = readConfigText(file);
  const { documents, issues } = parseYamlDocuments(text, file);
  if (issues.length > 0) throw new ConfigFileError(issues);
  if (documents.length === 0) return [];
  const doc = documents[0]!;
  if (documents.length > 1) {
    const second = documents[1]!.start;
    throw new ConfigFileError([
      { ...second, path: "", message: "a configuration file holds one YAML document (no second '---')" },
    ]);
  }
  if (doc.value === null || typeof doc.value !== "object" || Array.isArray(doc.value))
    throw new ConfigFileError([
      {
        ...doc.start,
        path: "",
        message: "must be a mapping of option names to values, e.g. `listen: 127.0.0.1:7443`",
      },
    ]);
  const byKey = new Map<string, Option>();
  for (const o of options) if (o.long && o.long !== `--${CONFIG_KEY}`) byKey.set(o.long.slice(2), o);
  const found: PolicyIssue[] = [];
  const settings: ConfigSetting[] = [];
  for (const [key, value] of Object.entries(doc.value as Record<string, unknown>)) {
    const keyIssue = (message: string) => found.push({ ...doc.locate([key], "key"), path: key, message });
    if (key === CONFIG_KEY) {
      keyIssue("a configuration file cannot name another one");
      continue;
    }
    if (byKey.has(`${key}-file`)) {
      keyIssue(
        `secrets are not accepted in a configuration file: write the value to a file only the service can read (mode 0600) and name it with \`${key}-file\``,
      );
      continue;
    }
    const option = byKey.get(key);
    if (!option) {
      const near = nearestName(key, [...byKey.keys()]);
      keyIssue(
        near
          ? `unknown option; did you mean \`${near}\`?`
          : "unknown option: the keys are the command's long options without `--` (see --help)",
      );
      continue;
    }
    const parsed = optionValue(option, value, doc, key, found);
    if (parsed.ok) settings.push({ key, option, value: parsed.value });
  }
  if (found.length > 0) throw new ConfigFileError(found);
  return settings;
}

/** Reads the file: a regular file, not world-writable, at most MAX_CONFIG_FILE_BYTES. */
function readConfigText(file: string): string {
  const refuse = (message: string): never => {
    throw new ConfigFileError([{ file, line: 0, col: 0, path: "", message }]);
  };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return refuse(`cannot read the configuration file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) refuse("is not a regular file");
    const mode = st.mode & 0o7777;
    if ((mode & 0o002) !== 0)
      refuse(
        `is writable by every user (mode 0${mode.toString(8)}): anyone could change what the service runs with; chmod o-w it (0644 or 0640)`,
      );
    if (st.size > MAX_CONFIG_FILE_BYTES) refuse(`is larger than ${MAX_CONFIG_FILE_BYTES / 1024} KiB`);
    const buf = Buffer.alloc(Math.min(st.size, MAX_CONFIG_FILE_BYTES) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > MAX_CONFIG_FILE_BYTES) refuse(`is larger than ${MAX_CONFIG_FILE_BYTES / 1024} KiB`);
      if (n === buf.length) break;
    }
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/**
 * The value of `option` from the file's `value`, as the command line would give it: a flag
 * takes true/false; an option with a value takes a string or a number, run through the
 * option's parser (so `listen` is checked as host:port); a repeatable option (variadic, or
 * one whose default is a list) takes a list or one value.
 */
function optionValue(option: Option, value: unknown, doc: SourceDocument, key: string, issues: PolicyIssue[]): Parsed {
  const at = (path: (string | number)[], message: string): Parsed => {
    issues.push({ ...doc.locate(path), path: key, message });
    return { ok: false };
  };
  const argName = /[<[][^>\]]*[>\]]/.exec(option.flags)?.[0] ?? "a value";
  if (option.isBoolean()) {
    if (typeof value !== "boolean") return at([key], `expected true or false, not ${describe(value)}`);
    return { ok: true, value: option.negate ? !value : value };
  }
  const repeatable = option.variadic || Array.isArray(option.defaultValue);
  let items: { value: unknown; path: (string | number)[] }[];
  if (Array.isArray(value)) {
    if (!repeatable) return at([key], `takes one value ${argName}, not a list`);
    items = value.map((v, i) => ({ value: v, path: [key, i] }));
  } else items = [{ value, path: [key] }];
  let acc: unknown = Array.isArray(option.defaultValue) ? [...option.defaultValue] : option.defaultValue;
  let fresh = true;
  for (const item of items) {
    let text: string;
    if (typeof item.value === "string") text = item.value;
    else if (typeof item.value === "number" && Number.isFinite(item.value)) text = String(item.value);
    else if (typeof item.value === "boolean" && option.optional && !repeatable) {
      acc = item.value ? (option.presetArg ?? true) : undefined;
      continue;
    } else return at(item.path, `expected ${argName} (a string or a number), not ${describe(item.value)}`);
    try {
      if (option.parseArg) acc = option.parseArg(text, acc);
      else if (option.variadic) acc = fresh || !Array.isArray(acc) ? [text] : [...(acc as unknown[]), text];
      else acc = text;
    } catch (err) {
      return at(item.path, `invalid value: ${(err as Error).message}`);
    }
    fresh = false;
  }
  return { ok: true, value: acc };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  return `${typeof value === "number" ? "the number" : "the boolean"} ${String(value)}`;
}
