import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { KoaAdapter } from '@bull-board/koa'
import type { Context, Middleware, Next } from 'koa'
import type { Logger } from '../../src/logger.js'
import type { WatchedQueues } from '../../src/metering/watched-queues.js'
import { matchedRoute } from '../middleware/http-metrics.js'

/** Long reasons are cut in the job list; the job's data holds them whole. */
const listedReasonLength = 160

/**
 * Bull Board on the `metering` queue and its dead-letter queue, mounted at
 * `basePath`. It has no access control of its own: mount it behind
 * `requireDashboardAdmin`.
 */
export function queueBoard(
  queues: Pick<WatchedQueues, 'metering' | 'deadLetters'>,
  paths: { board: string; logout: string },
  log: Logger,
): Middleware {
  const deadLetters = new BullMQAdapter(queues.deadLetters, {
    description:
      'Refused events, each with the reason naming its bad fields. Nothing consumes this ' +
      'queue: fix the producer, replay the event, then clean the entry.',
  })
  // The list shows why each event was refused, not just that it was.
  deadLetters.setFormatter('name', (job: { name: string; data?: { reason?: unknown } }) => {
    const reason = typeof job.data?.reason === 'string' ? job.data.reason : ''
    const cut =
      reason.length > listedReasonLength ? `${reason.slice(0, listedReasonLength)}…` : reason
    return reason ? `${job.name}: ${cut}` : job.name
  })

  const adapter = new KoaAdapter().setBasePath(paths.board)
  createBullBoard({
    queues: [
      new BullMQAdapter(queues.metering, {
        description: 'Metering events; a failed job names the field that was refused.',
      }),
      deadLetters,
    ],
    serverAdapter: adapter,
    options: {
      uiConfig: {
        boardTitle: 'NukeVideo queues',
        miscLinks: [{ text: 'Sign out', url: paths.logout }],
      },
    },
  })
  const board = adapter.registerPlugin() as Middleware

  return async function serveBoard(ctx: Context, next: Next): Promise<void> {
    await board(ctx, next)

    // Bull Board's inner router knows the pattern, relative to where it is mounted.
    const inner = matchedRoute(ctx)
    if (inner) ctx.state.routePattern = paths.board + (inner === '/' ? '' : inner)
    else if (ctx.path.startsWith(`${paths.board}/static/`)) {
      ctx.state.routePattern = `${paths.board}/static/*`
    }

    // Its own error answers carry the raw message (a Redis host, say); ours never do.
    if (ctx.status >= 500) {
      log.error(
        { request_id: ctx.state.requestId, status: ctx.status, detail: ctx.body },
        'queue dashboard failed',
      )
      ctx.body = { message: 'Server Error' }
    }
  }
}
