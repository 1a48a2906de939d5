/** The SQLite store's file name in the data folder (the default store: sqlite:DATA/controller.db). */
export const CONTROLLER_DB_FILE = "controller.db";
