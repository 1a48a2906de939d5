import { existsSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { describeError } from "../../common/errors.js";
import type { Logger } from "../../common/logging.js";
import type { ResourceKind } from "../../engine/index.js";
import { AGENT_KINDS, KIND_NAMES } from "../../kinds/index.js";

/** A libvirt folder whose NAME.xml entries name objects of `kind`. */
export interface AutostartDir {
  kind: ResourceKind;
  path: string;
  /**
   * A folder of definitions (kinds/<kind>/events.ts `configDir`): only `NAME.xml` entries
   * count, everything else there (libvirt's `NAME.xml.new` temporaries, the `autostart` and
   * `networks` subfolders) is ignored. Otherwise an entry that is not `NAME.xml` re-checks
   * the whole kind.
   */
  definitions?: boolean;
}

/** libvirt's autostart folders (`virsh autostart` adds/removes a NAME.xml symlink there; no libvirt event exists for it). */
export const DEFAULT_AUTOSTART_DIRS: readonly AutostartDir[] = KIND_NAMES.flatMap((kind) => {
  const path = AGENT_KINDS[kind].autostartDir;
  return path === undefined ? [] : [{ kind, path }];
});

/**
 * libvirt's folders of persistent definitions: libvirt rewrites NAME.xml (NAME.xml.new, then
 * a rename) on every change of a definition, including those that raise no libvirt event
 * (`virsh setvcpus --config`, `virsh setmaxmem --config`). The agent's own changes rewrite
 * them too; the re-check they cause finds nothing to do (and an event-triggered run that
 * finds nothing reports nothing).
 */
export const DEFAULT_CONFIG_DIRS: readonly AutostartDir[] = KIND_NAMES.flatMap((kind) => {
  const path = AGENT_KINDS[kind].configDir;
  return path === undefined ? [] : [{ kind, path, definitions: true }];
});

/** Every libvirt folder the agent watches by default. */
export const DEFAULT_WATCHED_DIRS: readonly AutostartDir[] = [...DEFAULT_AUTOSTART_DIRS, ...DEFAULT_CONFIG_DIRS];

const REATTACH_MS = 5_000;

/**
 * Watches libvirt's autostart and definition folders. Contract: `onChange(kind, name)` is
 * called for every change in a folder (name = the object whose NAME.xml changed, or null when
 * unknown; see AutostartDir.definitions for what a definitions folder ignores); a folder that is
 * absent is waited for (its parent is watched, and polled every 5 s when the parent is absent
 * too), and a folder that appears later or is replaced counts as a change of every object of
 * its kind. Never keeps the process alive.
 */
export class AutostartWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly dirs: readonly AutostartDir[],
    private readonly onChange: (kind: ResourceKind, name: string | null) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const d of this.dirs) this.attach(d, false);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attach(d: AutostartDir, appeared: boolean): void {
    if (this.closed) return;
    this.watchers.get(d.path)?.close();
    this.watchers.delete(d.path);
    try {
      const w = watch(d.path, { persistent: false }, (type, file) => {
        const f = typeof file === "string" ? file : null;
        // Deleting the folder itself is a "rename" of it, not an error: re-attach (waiting for it).
        if (type === "rename" && (f === basename(d.path) || !existsSync(d.path))) {
          this.attach(d, true);
          return;
        }
        const name = f?.endsWith(".xml") ? f.slice(0, -4) : null;
        if (d.definitions && !name) return;
        this.onChange(d.kind, name);
      });
      w.on("error", () => {
        // The folder went away: wait for it again.
        this.attach(d, false);
      });
      this.watchers.set(d.path, w);
      if (appeared) this.onChange(d.kind, null);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        this.log.warn({ dir: d.path, err: describeError(err) }, "cannot watch libvirt folder");
    }
    this.waitFor(d);
  }

  /** Watches the parent until the folder exists; polls when the parent is missing too. */
  private waitFor(d: AutostartDir): void {
    const key = `${d.path}\0parent`;
    try {
      const w = watch(dirname(d.path), { persistent: false }, (_type, file) => {
        if (file !== null && file !== basename(d.path)) return;
        w.close();
        this.watchers.delete(key);
        this.attach(d, true);
      });
      w.on("error", () => {
        w.close();
        this.watchers.delete(key);
        this.poll(d);
      });
      this.watchers.set(key, w);
    } catch {
      this.poll(d);
    }
  }

  private poll(d: AutostartDir): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.attach(d, true);
    }, REATTACH_MS);
    t.unref();
    this.timers.add(t);
  }
}
