import { Router } from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { userFields } from '../../src/accounts/account-fields.js'
import type { Actor } from '../../src/accounts/admin-guard.js'
import {
  createUserAs,
  deleteUserAs,
  getUser,
  listUsers,
  updateUserAs,
} from '../../src/accounts/user-admin.js'
import { toUserJson } from '../../src/accounts/users.js'
import { NotFoundError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'
import { parseBody } from '../body.js'
import { requireAdmin } from '../middleware/authenticate.js'
import { pageMeta, pageQuerySchema, pageWindow } from '../pagination.js'
import { parseQuery } from '../query.js'

/** Largest value of the `users.id` column (PostgreSQL `integer`). */
const maxUserId = 2_147_483_647

/** The body of `POST /api/users`. */
export const createUserBody = z.strictObject(userFields)

/** The body of `PUT /api/users/:id`: a full replacement, the password optional. */
export const updateUserBody = z.strictObject({
  ...userFields,
  password: userFields.password.optional(),
})

/**
 * The `:id` of a user path. Anything but a plain positive integer that fits
 * the column names no user, so it is a 404 rather than a query that fails.
 */
function userIdOf(ctx: Context): number {
  const text = String(ctx.params.id)
  const id = /^[1-9]\d{0,9}$/.test(text) ? Number(text) : Number.NaN
  if (!(id <= maxUserId)) throw new NotFoundError('User not found.')
  return id
}

function actorOf(ctx: Context): Actor {
  return { id: ctx.state.user.id, tokenId: ctx.state.tokenId }
}

/**
 * `/api/users`: admins list, read, create, replace and delete users. The
 * admin check runs before anything reads the request, so a non-admin learns
 * nothing from what they send.
 */
export function userRoutes(db: Database): Router {
  const router = new Router({ prefix: '/api/users' })
  router.use(requireAdmin)

  router.get('/', async (ctx) => {
    const page = parseQuery(pageQuerySchema, ctx.query)

    const { users, total } = await listUsers(db, pageWindow(page))

    ctx.body = { data: users.map(toUserJson), meta: pageMeta(page, total) }
  })

  router.get('/:id', async (ctx) => {
    const user = await getUser(db, userIdOf(ctx))
    ctx.body = { data: toUserJson(user) }
  })

  router.post('/', async (ctx) => {
    const input = await parseBody(createUserBody, ctx)

    const user = await createUserAs(db, actorOf(ctx), input)

    ctx.status = 201
    ctx.body = { data: toUserJson(user) }
  })

  router.put('/:id', async (ctx) => {
    const id = userIdOf(ctx)
    const changes = await parseBody(updateUserBody, ctx)

    const user = await updateUserAs(db, actorOf(ctx), id, changes)

    ctx.body = { data: toUserJson(user) }
  })

  router.delete('/:id', async (ctx) => {
    await deleteUserAs(db, actorOf(ctx), userIdOf(ctx))
    ctx.status = 204
  })

  return router
}
