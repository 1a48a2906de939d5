import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { PersistTarget } from "./files.js";

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which network configuration the host uses, under `root` (default `/`): ifupdown when
 * `/etc/network/interfaces` and `ifup` exist (its stanzas go to
 * `/etc/network/interfaces.d`), else systemd-networkd when `/etc/systemd/network` exists,
 * else none (nothing persistent is written).
 */
export async function detectPersistTarget(root = "/"): Promise<PersistTarget> {
  if (
    (await exists(join(root, "etc/network/interfaces"))) &&
    ((await exists(join(root, "sbin/ifup"))) || (await exists(join(root, "usr/sbin/ifup"))))
  )
    return { style: "ifupdown", dir: join(root, "etc/network/interfaces.d") };
  if (await exists(join(root, "etc/systemd/network")))
    return { style: "networkd", dir: join(root, "etc/systemd/network") };
  return { style: "none", dir: "" };
}
