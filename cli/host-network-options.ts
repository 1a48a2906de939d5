import { InvalidArgumentError } from "commander";
import type { PersistTarget } from "../kinds/index.js";

/** The styles `--host-network-config-style` accepts. */
export const HOST_NETWORK_STYLES = ["networkd", "ifupdown", "none"] as const;
type Style = (typeof HOST_NETWORK_STYLES)[number];

const STANDARD_DIRS: Record<Style, string> = {
  networkd: "/etc/systemd/network",
  ifupdown: "/etc/network/interfaces.d",
  none: "",
};

export function hostNetworkStyleArg(value: string): Style {
  if (!(HOST_NETWORK_STYLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`"${value}" is not one of ${HOST_NETWORK_STYLES.join(", ")}`);
  return value as Style;
}

export const HOST_NETWORK_DIR_HELP =
  "folder for host networking's persistent configuration (systemd-networkd files, or ifupdown stanzas with --host-network-config-style ifupdown); default: detected (/etc/network/interfaces.d with ifupdown, else /etc/systemd/network)";
export const HOST_NETWORK_STYLE_HELP = `style of that configuration: ${HOST_NETWORK_STYLES.join(" | ")} (none: runtime only, lost at reboot)`;

/**
 * The options → where host networking's persistent files go. Neither option: undefined
 * (detected at each run). A folder without a style: systemd-networkd. A style without a
 * folder: its standard folder.
 */
export function hostNetworkTarget(dir: string | undefined, style: Style | undefined): PersistTarget | undefined {
  if (dir === undefined && style === undefined) return undefined;
  const s = style ?? "networkd";
  return { style: s, dir: s === "none" ? "" : (dir ?? STANDARD_DIRS[s]) };
}
