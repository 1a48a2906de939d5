import { type Static, Type } from "@sinclair/typebox";
import { list, map, nullable, obj, resolvedObject, text, tpl } from "../../policy-primitives/schema-builders.js";
import { CLOUD_INIT_FORMATS, type CloudInitFormat, WRITE_FILE_ENCODINGS } from "./formats.js";

/**
 * A domain's `cloudInit` block as a policy writes it and as a bundle carries it. Declared
 * under the domain (spec.ts spreads CLOUD_INIT_DOCUMENT_FIELDS / CLOUD_INIT_SPEC_FIELDS) but
 * owned here, with the seed it becomes. Contract for additions: a new spec field is optional
 * and left out by the resolver when the policy does not set it (the seed and its instance-id
 * of a guest that does not use it stay the same).
 *
 * Secrets: `writeFiles[].content`, `runcmd` and `bootcmd` may carry secrets; their values are
 * redacted in every view, log and drift event (common/redact.ts). `writeFiles[].contentFile`
 * names a file the AGENT reads on the host when it builds the seed; its content is never
 * shown anywhere.
 */

/** A string of one of the cloud-init formats (formats.ts), or any string holding a template. */
function fmt(name: CloudInitFormat, description: string) {
  return Type.String({ pattern: `(?:${CLOUD_INIT_FORMATS[name].pattern})|\\$\\{`, description });
}

/** The largest `writeFiles[].content`, `runcmd`/`bootcmd` entry accepted in a policy. */
export const MAX_CLOUD_INIT_TEXT = 256 * 1024;

const CloudInitUserDocumentSchema = obj(
  {
    name: tpl("userName", "a Linux user name"),
    groups: list(tpl("userName", "a Linux group name"), "Supplementary groups. Default []."),
    sudo: text("A sudoers rule, e.g. ALL=(ALL) NOPASSWD:ALL. Default: none.", 256),
    passwordHash: tpl(
      "passwordHash",
      "a crypt(3) hash ($6$…, $y$…, $5$…, $2b$…, $1$…); plaintext passwords are not accepted",
    ),
    sshAuthorizedKeys: list(tpl("sshKey", "an OpenSSH public key (ssh-ed25519 AAAA…)"), "Default []."),
  },
  ["name"],
);

const WriteFileDocumentSchema = obj(
  {
    path: Type.String({ maxLength: 4096, description: "Absolute path in the guest." }),
    content: Type.String({
      maxLength: MAX_CLOUD_INIT_TEXT,
      description: "The file's content (redacted in every view). Exactly one of content and contentFile.",
    }),
    contentFile: Type.String({
      maxLength: 4096,
      description:
        "Absolute path of a file on the HOST (mode 0600, owned by the agent's user) whose bytes become the file; read by the agent when it builds the seed, never shown.",
    }),
    permissions: fmt("fileMode", 'Octal mode, e.g. "0644" (cloud-init writes 0644 when unset).'),
    owner: fmt("fileOwner", "user or user:group in the guest (cloud-init uses root:root when unset)."),
    encoding: Type.Unsafe<(typeof WRITE_FILE_ENCODINGS)[number]>({
      type: "string",
      enum: [...WRITE_FILE_ENCODINGS],
      description: "How `content` is encoded (content only); text/plain when unset.",
    }),
  },
  ["path"],
);

/** A runcmd/bootcmd entry: a shell command line, or an argv list. */
const CommandDocumentSchema = Type.Union([
  Type.String({ maxLength: MAX_CLOUD_INIT_TEXT }),
  Type.Array(Type.String({ maxLength: MAX_CLOUD_INIT_TEXT }), { minItems: 1 }),
]);

const EthernetDocumentSchema = obj(
  {
    match: obj({ macaddress: tpl("mac", "a MAC address (aa:bb:cc:dd:ee:ff)") }, ["macaddress"]),
    "set-name": tpl("bridgeName", "the interface name to give the matched NIC"),
    dhcp4: Type.Boolean(),
    dhcp6: Type.Boolean(),
    addresses: list(Type.String({ maxLength: 64 }), "Static addresses in CIDR form (192.168.110.10/24)."),
    routes: list(
      obj({ to: Type.String({ maxLength: 64 }), via: Type.String({ maxLength: 64 }) }, ["to", "via"]),
      "Routes: `to` is a CIDR network or `default`; `via` an address.",
    ),
    nameservers: obj(
      {
        addresses: list(Type.String({ maxLength: 64 }), "DNS server addresses."),
        search: list(tpl("hostname", "a DNS search domain"), "DNS search domains."),
      },
      [],
    ),
  },
  [],
);

const NetworkDocumentSchema = obj(
  {
    ethernets: map("bridgeName", EthernetDocumentSchema, "Ethernet devices by id (netplan's `ethernets`)."),
  },
  ["ethernets"],
  { description: "network-config version 2, written to the seed's `network-config` file." },
);

export const CloudInitDocumentSchema = obj(
  {
    hostname: tpl("hostname", "a host name"),
    users: list(CloudInitUserDocumentSchema, "Default []."),
    packages: list(tpl("packageName", "a package name"), "Default []."),
    packageUpdate: Type.Boolean({ description: "Default false." }),
    writeFiles: list(WriteFileDocumentSchema, "Files cloud-init writes (write_files). Default: none."),
    runcmd: list(CommandDocumentSchema, "Commands run once at first boot of this seed (redacted in views)."),
    bootcmd: list(CommandDocumentSchema, "Commands run early at every boot (redacted in views)."),
    timezone: fmt("timezone", "a time zone name from /usr/share/zoneinfo, e.g. Europe/Berlin"),
    locale: fmt("locale", "a locale, e.g. en_US.UTF-8"),
    sshPwauth: Type.Boolean({ description: "ssh_pwauth: allow SSH password authentication." }),
    vendorData: Type.Unsafe<Record<string, unknown>>({
      type: "object",
      description: "A cloud-config document written to the seed's vendor-data file.",
    }),
    network: NetworkDocumentSchema,
  },
  [],
  { description: "NoCloud seed ISO generated on the host and attached as a cdrom. Default: none." },
);
export type CloudInitDocument = Static<typeof CloudInitDocumentSchema>;

export const CLOUD_INIT_DOCUMENT_FIELDS = { cloudInit: CloudInitDocumentSchema };

export const CloudInitUserSpecSchema = resolvedObject({
  name: Type.String(),
  groups: Type.Array(Type.String()),
  sudo: nullable(Type.String()),
  /** A crypt(3) hash ($6$…, $y$…); plaintext passwords are rejected by the loader. */
  passwordHash: nullable(Type.String()),
  sshAuthorizedKeys: Type.Array(Type.String()),
});
export type CloudInitUserSpec = Static<typeof CloudInitUserSpecSchema>;

/** A resolved `writeFiles` entry: exactly one of content and contentFile; unset fields left out. */
export const WriteFileSpecSchema = Type.Object({
  path: Type.String(),
  content: Type.Optional(Type.String()),
  contentFile: Type.Optional(Type.String()),
  permissions: Type.Optional(Type.String()),
  owner: Type.Optional(Type.String()),
  encoding: Type.Optional(Type.String()),
});
export type WriteFileSpec = Static<typeof WriteFileSpecSchema>;

export const CommandSpecSchema = Type.Union([Type.String(), Type.Array(Type.String())]);
export type CommandSpec = Static<typeof CommandSpecSchema>;

export const EthernetSpecSchema = Type.Object({
  match: Type.Optional(Type.Object({ macaddress: Type.String() })),
  "set-name": Type.Optional(Type.String()),
  dhcp4: Type.Optional(Type.Boolean()),
  dhcp6: Type.Optional(Type.Boolean()),
  addresses: Type.Optional(Type.Array(Type.String())),
  routes: Type.Optional(Type.Array(Type.Object({ to: Type.String(), via: Type.String() }))),
  nameservers: Type.Optional(
    Type.Object({
      addresses: Type.Optional(Type.Array(Type.String())),
      search: Type.Optional(Type.Array(Type.String())),
    }),
  ),
});
export type EthernetSpec = Static<typeof EthernetSpecSchema>;

export const CloudInitSpecSchema = Type.Object({
  hostname: nullable(Type.String()),
  users: Type.Array(CloudInitUserSpecSchema),
  packages: Type.Array(Type.String()),
  packageUpdate: Type.Boolean(),
  // Optional, left out when the policy does not set them (existing seeds stay byte-identical).
  writeFiles: Type.Optional(Type.Array(WriteFileSpecSchema)),
  runcmd: Type.Optional(Type.Array(CommandSpecSchema)),
  bootcmd: Type.Optional(Type.Array(CommandSpecSchema)),
  timezone: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  sshPwauth: Type.Optional(Type.Boolean()),
  vendorData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  network: Type.Optional(Type.Object({ ethernets: Type.Record(Type.String(), EthernetSpecSchema) })),
});
export type CloudInitSpec = Static<typeof CloudInitSpecSchema>;

export const CLOUD_INIT_SPEC_FIELDS = { cloudInit: nullable(CloudInitSpecSchema) };
