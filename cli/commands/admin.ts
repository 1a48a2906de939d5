import { InvalidArgumentError, type Command } from "commander";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ValidationError } from "../../common/index.js";
import { createCsr, generateKeyPair, privateKeyToPem, writePrivateFile } from "../../common/pki/index.js";
import { ADMIN_NAME, RESERVED_ADMIN_NAMES, ROLES, type Role } from "../../controller/auth/index.js";
import { adminCommand, type AdminFlags } from "./rollout.js";
import { withAdminClient } from "./audit.js";

/** The files `admin create` writes into --out, all mode 0600 in a 0700 folder. */
export const CREDENTIAL_FILES = { key: "key.pem", cert: "cert.pem", ca: "ca.pem" } as const;

/** Where `admin create NAME` writes without --out. */
export function defaultOutDir(name: string): string {
  return `virtfleet-admin-${name}`;
}

/** NAME: as the controller accepts it (a lower-case letter, then lower-case letters, digits, '-'; at most 63), not reserved. */
export function adminNameArg(value: string): string {
  if (!ADMIN_NAME.test(value))
    throw new InvalidArgumentError(
      `invalid admin name ${JSON.stringify(value)}: a lower-case letter, then lower-case letters, digits or '-', at most 63 characters`,
    );
  if (RESERVED_ADMIN_NAMES.includes(value))
    throw new InvalidArgumentError(`admin name ${JSON.stringify(value)} is reserved`);
  return value;
}

export function roleArg(value: string): Role {
  if (!ROLES.includes(value as Role))
    throw new InvalidArgumentError(`--role must be one of ${ROLES.join(", ")}, not ${JSON.stringify(value)}`);
  return value as Role;
}

/** `admin create --json`. */
export interface AdminCreatedJson {
  name: string;
  role: Role;
  dir: string;
  files: { key: string; cert: string; ca: string };
  notAfter: string;
}

/** How to use a credential folder with the other commands (`--data DIR` accepts a folder holding the three files). */
export function usageHint(dir: string): string {
  return `Use it with any admin command: --data ${dir} (or VIRTFLEET_DATA=${dir}), e.g.\n  virtfleet hosts --controller HOST:PORT --data ${dir}\nKeep key.pem secret: whoever holds it acts with this role until the certificate expires.\n`;
}

const ADMIN_HELP = `
The private key is made here and never leaves this machine: the controller signs a
certificate request for it (role in the certificate), and key.pem, cert.pem and ca.pem are
written to --out (mode 0600). Roles: viewer (read), operator (+ rollout control, flap
acknowledgements), admin (+ tokens, revocation, new admins). Needs role admin.

Examples:
  virtfleet admin create ann --role operator
  virtfleet admin create ci-bot --role viewer --out /etc/virtfleet/ci --json
`;

/** `virtfleet admin create NAME --role ROLE [--out DIR]`. */
export function registerAdminCommands(program: Command): void {
  const admin = program
    .command("admin")
    .description("admin credentials: create one (a client certificate with a role)");
  adminCommand(
    admin
      .command("create")
      .description("issue admin credentials: key made locally, certificate signed by the controller's CA"),
  )
    .argument("<name>", "admin name (lower-case letters, digits, '-')", adminNameArg)
    .requiredOption("--role <role>", `one of ${ROLES.join(", ")}`, roleArg)
    .option(
      "--out <dir>",
      "folder for key.pem, cert.pem, ca.pem (default ./virtfleet-admin-NAME; must not hold them already)",
    )
    .addHelpText("after", ADMIN_HELP)
    .action(async (name: string, flags: AdminFlags & { role: Role; out?: string }) => {
      const dir = resolve(flags.out ?? defaultOutDir(name));
      const files = {
        key: join(dir, CREDENTIAL_FILES.key),
        cert: join(dir, CREDENTIAL_FILES.cert),
        ca: join(dir, CREDENTIAL_FILES.ca),
      };
      const present = Object.values(files).filter((f) => existsSync(f));
      if (present.length > 0)
        throw new ValidationError(
          `--out ${dir} already holds ${present.join(", ")}; choose another --out or remove them first (nothing was changed)`,
        );
      const keys = await generateKeyPair();
      const csrPem = await createCsr(name, keys);
      const issued = await withAdminClient(flags, (c) => c.createAdmin(name, flags.role, csrPem));
      writePrivateFile(files.ca, issued.caPem);
      writePrivateFile(files.cert, issued.certificatePem);
      writePrivateFile(files.key, await privateKeyToPem(keys.privateKey));
      if (flags.json) {
        const doc: AdminCreatedJson = { name, role: flags.role, dir, files, notAfter: issued.notAfter };
        process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
        return;
      }
      process.stdout.write(
        `admin ${name} (${flags.role}) created, valid until ${issued.notAfter}\nCredentials in ${dir}: ${Object.values(CREDENTIAL_FILES).join(", ")} (mode 0600)\n${usageHint(dir)}`,
      );
    });
}
