/**
 * The controller's database: one SQLite file in the data folder (ControllerStore) and the
 * ordered list of its schema steps (CONTROLLER_MIGRATIONS), whose parts come from the modules
 * that own the tables. Who owns which table: docs/design/tables.md.
 */
export { ControllerStore, CONTROLLER_DB_FILE } from "./controller-store.js";
export { CONTROLLER_MIGRATIONS } from "./migrations.js";
