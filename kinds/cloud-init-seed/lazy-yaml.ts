import { createRequire } from "node:module";
import type * as Yaml from "yaml";

const require = createRequire(import.meta.url);
let lib: typeof Yaml | undefined;

/**
 * The `yaml` package, loaded on first use: only a host whose guests have a `cloudInit` block
 * needs it, and importing it costs the agent process a few MB of RSS for good. Under Node
 * `import "yaml"` resolves to this same CommonJS build, so a process that also imports it
 * (the policy parser in `apply --local`) shares one instance.
 */
function yaml(): typeof Yaml {
  return (lib ??= require("yaml") as typeof Yaml);
}

/** yaml's `parse`, same signature. */
export const parse = ((...args: unknown[]) =>
  (yaml().parse as (...a: unknown[]) => unknown)(...args)) as typeof Yaml.parse;

/** yaml's `stringify`, same signature. */
export const stringify = ((...args: unknown[]) =>
  (yaml().stringify as (...a: unknown[]) => string)(...args)) as typeof Yaml.stringify;
