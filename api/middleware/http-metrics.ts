import type { Context, Next } from 'koa'
import { Counter, Histogram, type Registry } from 'prom-client'

/** Seconds; most API answers are milliseconds, analytics over long ranges take seconds. */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Methods are labelled as themselves; anything else Node's parser lets through is `OTHER`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** What a router leaves on the context about the layers whose path matched. */
interface MatchedLayer {
  path: string | RegExp
  methods: string[]
}

/**
 * The route pattern that answered (`/api/users/:id`), never the raw path, so
 * the label set stays as small as the route table. A part of the app that is
 * not a router of ours (the queue dashboard) names its own in
 * `ctx.state.routePattern`; a request no route matched is `unmatched`.
 */
export function routePattern(ctx: Context): string {
  const named = ctx.state.routePattern
  if (typeof named === 'string') return named
  return matchedRoute(ctx) ?? 'unmatched'
}

/** The path pattern of the route layer that answered this method, if a router matched one. */
export function matchedRoute(ctx: Context): string | undefined {
  // The router writes `_matchedRoute` as each layer runs, so after a 401 from
  // an authentication layer it names that layer: read the matched routes instead.
  const matched = ((ctx as { matched?: MatchedLayer[] }).matched ?? []).filter(
    (layer) => typeof layer.path === 'string' && layer.methods.includes(ctx.method),
  )
  return matched.at(-1)?.path as string | undefined
}

/**
 * Counts every request by method, route pattern and status, with its latency.
 * Mount it outside the error handler, so it sees the status that was sent.
 */
export function httpMetrics(registry: Registry) {
  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status.',
    labelNames,
    buckets: latencyBuckets,
    registers: [registry],
  })

  return async function measureRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now()
    try {
      await next()
    } finally {
      const method = METHODS.has(ctx.method) ? ctx.method : 'OTHER'
      const labels = { method, route: routePattern(ctx), status: String(ctx.status) }
      requests.inc(labels)
      latency.observe(labels, (performance.now() - started) / 1000)
    }
  }
}
