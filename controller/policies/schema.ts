/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * Policy revisions as loaded from the policies folder, and the folder's load attempts (with
 * the errors of a rejected change) — step 2:
 *
 * - policy_revisions: one row per (policy, generation); `current` = 1 marks the revision in
 *   force; a policy gone from the folder keeps its rows with `current` = 0 and `removed_at`.
 *   `source` is the policy's own YAML document text.
 * - policy_loads: every load attempt; an accepted one also keeps the inventory text in force
 *   (`inventory_file`, `inventory_source`), so a restart with a broken folder can restore it.
 */
export const POLICIES_SCHEMA = {
  2: `
    CREATE TABLE policy_revisions (
      id          INTEGER PRIMARY KEY,
      policy      TEXT NOT NULL,
      revision    TEXT NOT NULL,
      generation  INTEGER NOT NULL,
      file        TEXT NOT NULL,
      source      TEXT NOT NULL,
      mode        TEXT NOT NULL,
      priority    INTEGER NOT NULL,
      created_at  INTEGER NOT NULL,
      current     INTEGER NOT NULL DEFAULT 1,
      removed_at  INTEGER,
      UNIQUE (policy, generation)
    );
    CREATE INDEX policy_revisions_current ON policy_revisions(current, policy);
    CREATE TABLE policy_loads (
      id               INTEGER PRIMARY KEY,
      loaded_at        INTEGER NOT NULL,
      accepted         INTEGER NOT NULL,
      errors_json      TEXT NOT NULL,
      files_json       TEXT NOT NULL,
      inventory_file   TEXT,
      inventory_source TEXT
    );
  `,
} as const;
