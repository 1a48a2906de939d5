import { join } from "node:path";
import type { PersistTarget } from "./files.js";
import { pathExists } from "../../../../common/path-exists.js";

/**
 * Which network configuration the host uses, under `root` (default `/`): ifupdown when
 * `/etc/network/interfaces` and `ifup` exist (its stanzas go to
 * `/etc/network/interfaces.d`), else systemd-networkd when `/etc/systemd/network` exists,
 * else none (nothing persistent is written).
 */
export async function detectPersistTarget(root = "/"): Promise<PersistTarget> {
  if (
    (await pathExists(join(root, "etc/network/interfaces"))) &&
    ((await pathExists(join(root, "sbin/ifup"))) || (await pathExists(join(root, "usr/sbin/ifup"))))
  )
    return { style: "ifupdown", dir: join(root, "etc/network/interfaces.d") };
  if (await pathExists(join(root, "etc/systemd/network")))
    return { style: "networkd", dir: join(root, "etc/systemd/network") };
  return { style: "none", dir: "" };
}
