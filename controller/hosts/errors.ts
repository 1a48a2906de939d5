import { VirtfleetError } from "../../common/index.js";

/**
 * A Hello could not be recorded because other controllers kept creating and removing the
 * host's row meanwhile (PostgreSQL, several controllers). The Hello's batch fails; the agent
 * reconnects.
 */
export class HostRecordConflictError extends VirtfleetError {
  constructor(host: string) {
    super("HOST_RECORD_CONFLICT", `host ${host} was created and removed concurrently while its hello was recorded`);
  }
}
