import { Router } from '@koa/router'
import { z } from 'zod'
import { tokenName } from '../../src/accounts/account-fields.js'
import type { User } from '../../src/accounts/models.js'
import { verifyAgainstDecoy, verifyPassword } from '../../src/accounts/passwords.js'
import { issueLoggedToken, revokeLoggedToken } from '../../src/accounts/token-actions.js'
import { TOKEN_ABILITIES } from '../../src/accounts/tokens.js'
import { findUserByEmail, toUserJson } from '../../src/accounts/users.js'
import { ForbiddenError, ValidationError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'
import { parseBody } from '../body.js'
import { authenticate } from '../middleware/authenticate.js'

const badCredentials = 'These credentials do not match our records.'

export const tokenRequest = z.strictObject({
  email: z.string().trim().max(255).pipe(z.email()),
  password: z.string().min(1).max(200),
  name: tokenName.default('api'),
  abilities: z.array(z.enum(TOKEN_ABILITIES)).max(TOKEN_ABILITIES.length).default([]),
})

/** The password check runs even for unknown e-mails, so timing reveals no accounts. */
export async function checkCredentials(
  db: Database,
  email: string,
  password: string,
): Promise<User> {
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
  const signedIn = authenticate(db, { anyToken: true })

  router.post('/tokens', async (ctx) => {
    const input = await parseBody(tokenRequest, ctx)

    const user = await checkCredentials(db, input.email, input.password)
    if (input.abilities.length > 0 && !user.is_admin) {
      throw new ForbiddenError('Only an admin may create a token with abilities.')
    }
    const abilities = [...new Set(input.abilities)]
    const issued = await issueLoggedToken(db, user, input.name, abilities)

    ctx.status = 201
    ctx.body = {
      data: {
        token: issued.plainText,
        token_id: issued.token.id,
        name: issued.token.name,
        abilities,
        user: toUserJson(user),
      },
    }
  })

  router.get('/me', signedIn, async (ctx) => {
    ctx.body = { data: toUserJson(ctx.state.user) }
  })

  router.delete('/tokens/current', signedIn, async (ctx) => {
    await revokeLoggedToken(db, ctx.state.user.id, ctx.state.tokenId)
    ctx.status = 204
  })

  return router
}
