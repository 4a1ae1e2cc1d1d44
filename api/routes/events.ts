import { Router } from '@koa/router'
import { INGEST_ABILITY } from '../../src/accounts/tokens.js'
import type { UserDirectory } from '../../src/accounts/user-directory.js'
import { ForbiddenError, UnavailableError } from '../../src/errors.js'
import { type EventQueue, ingestEvents } from '../../src/ingest/ingest-events.js'
import { ProducerUnavailableError } from '../../src/metering/producer.js'
import type { Database } from '../../src/postgres/database.js'
import { readJsonBody } from '../body.js'
import { authenticate } from '../middleware/authenticate.js'

/** `POST /api/events`, for producers that do not speak BullMQ. */
export function eventRoutes(
  db: Database,
  deps: { users: UserDirectory; queue: EventQueue },
): Router {
  const router = new Router({ prefix: '/api/events' })

  router.post('/', authenticate(db, { ability: INGEST_ABILITY }), async (ctx) => {
    // Only admins may be granted the ability, so a user no longer admin loses its use too.
    if (!ctx.state.user.is_admin) {
      throw new ForbiddenError('This token may not send events; it needs the ingest ability.')
    }

    try {
      const result = await ingestEvents(await readJsonBody(ctx), deps)
      ctx.status = 202
      ctx.body = { data: result }
    } catch (err) {
      if (!(err instanceof ProducerUnavailableError)) throw err
      ctx.set('Retry-After', '5')
      throw new UnavailableError('The event queue is unavailable; retry later.', { cause: err })
    }
  })

  return router
}
