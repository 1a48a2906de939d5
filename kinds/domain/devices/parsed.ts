/** The devices area of a ParsedDomain (see ../parsed.ts). Never holds a password (see xml-parse.ts). */

export interface ParsedGraphics {
  type: string;
  /** Listen address (attribute or first `<listen type='address'>`), null when absent. */
  listen: string | null;
}

export interface ParsedWatchdog {
  model: string;
  /** libvirt's default `reset` when the XML has none. */
  action: string;
}

export interface ParsedFilesystem {
  /** `<driver type>`; `path` (libvirt's 9p default) when absent. */
  driver: string;
  source: string | null;
  target: string | null;
}

export interface ParsedDevices {
  graphics: ParsedGraphics[];
  /** `<serial type>` of each serial port. */
  serialTypes: string[];
  /** `<console type>` of each console. */
  consoleTypes: string[];
  /** Target names of the virtio channels (`org.qemu.guest_agent.0`, …). */
  channelNames: string[];
  /** Each `<rng>` as `MODEL BACKEND-MODEL SOURCE` (`virtio random /dev/urandom`). */
  rngs: string[];
  watchdogs: ParsedWatchdog[];
  /** Each subsystem `<hostdev>` as a key (addresses.ts `hostdevKey`); an unknown kind as `TYPE ?`. */
  hostdevs: string[];
  filesystems: ParsedFilesystem[];
}
