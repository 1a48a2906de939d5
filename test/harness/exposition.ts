/**
 * A parser of the Prometheus text exposition format (0.0.4) for tests: families with their
 * TYPE and HELP, samples with their labels (escapes \\, \", \n undone) and values (NaN and Inf
 * in any case, as Prometheus reads them). A line it cannot read throws (a malformed exposition
 * must fail the test, not be skipped).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { types: new Map(), help: new Map(), samples: [] };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = /^# (TYPE|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      (meta[1] === "TYPE" ? out.types : out.help).set(meta[2]!, meta[3]!);
      continue;
    }
    if (line.startsWith("#")) continue;
    out.samples.push(parseSample(line));
  }
  return out;
}

function parseSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (!name) throw new Error(`not a sample line: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
      if (!key || line[i + key.length] !== "=" || line[i + key.length + 1] !== '"')
        throw new Error(`bad label at ${i}: ${line}`);
      i += key.length + 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        if (c === '"') break;
        if (c === "\\") {
          const n = line[i + 1];
          value += n === "n" ? "\n" : (n ?? "");
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[key] = value;
      i++;
      if (line[i] === ",") i++;
    }
    i++;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const raw = rest[0];
  if (raw === undefined) throw new Error(`no value: ${line}`);
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
  const value = /^[+-]?inf$/i.test(raw)
    ? raw.startsWith("-")
      ? Number.NEGATIVE_INFINITY
      : Number.POSITIVE_INFINITY
    : /^nan$/i.test(raw)
      ? Number.NaN
      : Number(raw);
  if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`bad value ${raw}: ${line}`);
  return { name, labels, value };
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none; throws when several. */
export function sampleValue(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Every sample of `name`. */
export function samplesOf(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}
