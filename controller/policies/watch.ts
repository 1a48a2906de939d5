import { watch, type FSWatcher } from "chokidar";
import { resolve } from "node:path";
import { isPolicyFileName } from "./folder.js";

export interface FolderWatch {
  /** Resolves once the initial scan is done (events before it are not reported). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches the policy files directly in `dir` and calls `onChange` once per burst of events:
 * `debounceMs` after the last add/change/unlink of a policy file. An editor's safe-save
 * (write a temp file, rename it over the original) or a delete followed by a create within
 * the debounce window is one burst. Hidden files and editor leftovers never trigger.
 */
export function watchPolicyFolder(
  dir: string,
  debounceMs: number,
  onChange: () => void,
  onError: (err: unknown) => void,
): FolderWatch {
  const root = resolve(dir);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    depth: 0,
    // Never ignore the folder itself; inside it, only policy files count.
    ignored: (path: string) => resolve(path) !== root && !isPolicyFileName(path),
  });
  const kick = (path: string) => {
    if (resolve(path) === root || !isPolicyFileName(path)) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  watcher.on("add", kick).on("change", kick).on("unlink", kick).on("error", onError);
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    ready,
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
