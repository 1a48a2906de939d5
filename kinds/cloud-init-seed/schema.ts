import { type Static, Type } from "@sinclair/typebox";
import { list, nullable, obj, resolvedObject, text, tpl } from "../../policy-primitives/schema-builders.js";

/**
 * A domain's `cloudInit` block as a policy writes it and as a bundle carries it. Declared
 * under the domain (spec.ts spreads CLOUD_INIT_DOCUMENT_FIELDS / CLOUD_INIT_SPEC_FIELDS) but
 * owned here, with the seed it becomes. Contract for additions: a new spec field is optional
 * and left out by the resolver when the policy does not set it (the seed and its instance-id
 * of a guest that does not use it stay the same).
 */

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

export const CloudInitDocumentSchema = obj(
  {
    hostname: tpl("hostname", "a host name"),
    users: list(CloudInitUserDocumentSchema, "Default []."),
    packages: list(tpl("packageName", "a package name"), "Default []."),
    packageUpdate: Type.Boolean({ description: "Default false." }),
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

export const CloudInitSpecSchema = resolvedObject({
  hostname: nullable(Type.String()),
  users: Type.Array(CloudInitUserSpecSchema),
  packages: Type.Array(Type.String()),
  packageUpdate: Type.Boolean(),
});
export type CloudInitSpec = Static<typeof CloudInitSpecSchema>;

export const CLOUD_INIT_SPEC_FIELDS = { cloudInit: nullable(CloudInitSpecSchema) };
