import { ValidationError } from "../common/errors.js";
import { resourceId, type Resource, type ResourceId } from "./types.js";

/**
 * The order the engine converges in. Edges point from a resource to what must happen before
 * it: normally its dependencies (pool before volume before domain); when a resource and its
 * dependency are both being removed the edge is reversed (the domain goes before its volumes,
 * volumes before their pool). Dependencies on resources not in the set are ignored here (they
 * may exist on the host already; the resource itself checks). Throws ValidationError on a
 * cycle or a duplicate id.
 */
export interface ExecutionGraph {
  ids: ResourceId[];
  byId: Map<ResourceId, Resource>;
  /** id → ids that must finish first. */
  before: Map<ResourceId, Set<ResourceId>>;
  /** id → ids that are skipped if it fails (its dependants in execution order). */
  after: Map<ResourceId, Set<ResourceId>>;
}

export function buildGraph(resources: readonly Resource[]): ExecutionGraph {
  const byId = new Map<ResourceId, Resource>();
  for (const r of resources) {
    const id = resourceId(r.kind, r.name);
    if (byId.has(id)) throw new ValidationError(`resource ${id} is declared twice`);
    byId.set(id, r);
  }
  const before = new Map<ResourceId, Set<ResourceId>>([...byId.keys()].map((id) => [id, new Set()]));
  const after = new Map<ResourceId, Set<ResourceId>>([...byId.keys()].map((id) => [id, new Set()]));
  for (const [id, r] of byId) {
    for (const dep of r.dependsOn) {
      const d = byId.get(dep);
      if (!d) continue;
      const [first, second] = r.removing && d.removing ? [id, dep] : [dep, id];
      before.get(second)!.add(first);
      after.get(first)!.add(second);
    }
  }
  const ids = topoOrder(byId, before);
  return { ids, byId, before, after };
}

function topoOrder(byId: Map<ResourceId, Resource>, before: Map<ResourceId, Set<ResourceId>>): ResourceId[] {
  const order: ResourceId[] = [];
  const state = new Map<ResourceId, "visiting" | "done">();
  const visit = (id: ResourceId, path: ResourceId[]) => {
    const s = state.get(id);
    if (s === "done") return;
    if (s === "visiting")
      throw new ValidationError(`dependency cycle: ${[...path.slice(path.indexOf(id)), id].join(" → ")}`);
    state.set(id, "visiting");
    for (const dep of [...before.get(id)!].sort()) visit(dep, [...path, id]);
    state.set(id, "done");
    order.push(id);
  };
  for (const id of [...byId.keys()].sort(kindOrder)) visit(id, []);
  return order;
}

const KIND_RANK: Record<string, number> = { host: 0, network: 1, pool: 2, volume: 3, domain: 4 };

function kindOrder(a: ResourceId, b: ResourceId): number {
  const ka = KIND_RANK[a.split("/")[0]] ?? 9;
  const kb = KIND_RANK[b.split("/")[0]] ?? 9;
  return ka - kb || (a < b ? -1 : a > b ? 1 : 0);
}
