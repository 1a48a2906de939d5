import type { Migration } from "../../common/index.js";
import { M001_HOSTS } from "./migrations/001-hosts.js";
import { M002_POLICIES } from "./migrations/002-policies.js";
import { M003_COMPLIANCE } from "./migrations/003-compliance.js";
import { M004_ROLLOUTS } from "./migrations/004-rollouts.js";
import { M005_PKI } from "./migrations/005-pki.js";
import { M006_AUDIT } from "./migrations/006-audit.js";
import { M007_CERTIFICATE_FINGERPRINTS } from "./migrations/007-certificate-fingerprints.js";

/** The controller's schema, one file per step. Append only: a released step never changes. */
export const CONTROLLER_MIGRATIONS: readonly Migration[] = [M001_HOSTS, M002_POLICIES, M003_COMPLIANCE, M004_ROLLOUTS, M005_PKI, M006_AUDIT, M007_CERTIFICATE_FINGERPRINTS];
