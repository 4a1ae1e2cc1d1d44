import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * A process's own Prometheus registry, with prom-client's process and Node
 * figures (CPU, memory, event-loop lag, GC, handles). A registry of its own,
 * not the library's global one, so two apps in one test process never share
 * a counter.
 */
export function createProcessRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}
