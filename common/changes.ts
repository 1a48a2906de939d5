/**
 * One difference between desired and actual state, as resources report it and
 * `apply --json` prints it. `disruption` is the effect on a running guest or active object:
 * - `live`: effective now, nothing pending (every change to an object that is not running);
 * - `restart`: the definition is updated now; the running object keeps the old config until
 *   it restarts (pending restart);
 * - `recreate`: the object must be removed and created again.
 */
export type Disruption = "live" | "restart" | "recreate";

export interface FieldChange {
  /** Dotted/indexed field name (`vcpus`, `interfaces[0].model`, `sysctl.net.ipv4.ip_forward`). */
  field: string;
  /** Actual value (null = absent). */
  from: unknown;
  /** Desired value (null = to be removed). */
  to: unknown;
  disruption: Disruption;
  /** Applying it would lose data (volume shrink, format or backing change); refused. */
  destructive?: boolean;
}
