import { Router } from '@koa/router'
import { z } from 'zod'
import type { User } from '../../src/accounts/models.js'
import { verifyAgainstDecoy, verifyPassword } from '../../src/accounts/passwords.js'
import { createToken, revokeToken } from '../../src/accounts/tokens.js'
import { findUserByEmail, toUserJson } from '../../src/accounts/users.js'
import { ValidationError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'
import { fieldErrors } from '../../src/validation.js'
import { authenticate } from '../middleware/authenticate.js'

const badCredentials = 'These credentials do not match our records.'

const tokenRequest = z.object({
  email: z.string().trim().max(255).pipe(z.email()),
  password: z.string().min(1).max(200),
  name: z.string().trim().min(1).max(255).default('api'),
})

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error))
  return parsed.data
}

/** The password check runs even for unknown e-mails, so timing reveals no accounts. */
async function checkCredentials(db: Database, email: string, password: string): Promise<User> {
  const user = await findUserByEmail(db, email)
  const valid = user
    ? await verifyPassword(user.password_hash, password)
    : await verifyAgainstDecoy(password)
  if (!user || !valid) throw new ValidationError({ email: [badCredentials] }, badCredentials)
  return user
}

/**
 * Signing in and out with bearer tokens: trade e-mail and password for a
 * token (shown once), ask who the token belongs to, revoke the token in use.
 */
export function authRoutes(db: Database): Router {
  const router = new Router({ prefix: '/api/auth' })
  const signedIn = authenticate(db)

  router.post('/tokens', async (ctx) => {
    const input = parseBody(tokenRequest, (ctx.request as { body?: unknown }).body)

    const user = await checkCredentials(db, input.email, input.password)
    const issued = await createToken(db, user, input.name)

    ctx.status = 201
    ctx.body = {
      data: {
        token: issued.plainText,
        token_id: issued.token.id,
        name: issued.token.name,
        user: toUserJson(user),
      },
    }
  })

  router.get('/me', signedIn, async (ctx) => {
    ctx.body = { data: toUserJson(ctx.state.user) }
  })

  router.delete('/tokens/current', signedIn, async (ctx) => {
    await revokeToken(db, ctx.state.tokenId)
    ctx.status = 204
  })

  return router
}
