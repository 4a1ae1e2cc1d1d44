import { type Command, Option } from 'commander'
import { tokenName } from '../accounts/account-fields.js'
import type { ApiToken, User } from '../accounts/models.js'
import { issueLoggedToken, revokeLoggedToken } from '../accounts/token-actions.js'
import { type IssuedToken, TOKEN_ABILITIES } from '../accounts/tokens.js'
import { findUserByEmail } from '../accounts/users.js'
import type { Database } from '../postgres/database.js'
import { fieldErrors } from '../validation.js'
import { CommandFailedError, invalidOptions, UsageError } from './cli-errors.js'
import { MAX_ROW_ID, oneOfEach, wholeNumber } from './options.js'
import type { CliRuntime } from './runtime.js'

/**
 * Token commands act as the operator of the server: whoever can run them can
 * reach the database anyway, so no password is asked. They follow the API's
 * rules otherwise: only an admin's token may carry abilities, and every token
 * created or revoked is logged in its owner's activity history.
 */

async function liveUser(db: Database, email: string): Promise<User> {
  const user = await findUserByEmail(db, email)
  if (!user) throw new CommandFailedError(`No user with e-mail ${email.trim()}.`)
  return user
}

/** Issues a token for the user with this e-mail; shown once by the caller. */
export async function issueToken(
  db: Database,
  request: { email: string; name: string; abilities: string[] },
): Promise<{ user: User; issued: IssuedToken }> {
  const user = await liveUser(db, request.email)
  if (request.abilities.length > 0 && !user.is_admin) {
    throw new CommandFailedError(
      `Only an admin's token may have abilities, and ${user.email} is not an admin.`,
    )
  }
  const issued = await issueLoggedToken(db, user, request.name, request.abilities)
  return { user, issued }
}

/** Every token of a user, revoked ones too, oldest first. */
export async function tokensOf(db: Database, email: string): Promise<ApiToken[]> {
  const user = await liveUser(db, email)
  return db.ApiToken.findAll({ where: { user_id: user.id }, order: [['id', 'ASC']] })
}

/** Revokes one token; false when it had been revoked already. */
export async function revokeTokenById(
  db: Database,
  tokenId: number,
): Promise<{ token: ApiToken; revoked: boolean }> {
  const token = await db.ApiToken.findByPk(tokenId)
  if (!token) throw new CommandFailedError(`No token ${tokenId}.`)

  const revoked = await revokeLoggedToken(db, token.user_id as number, token.id)
  return { token, revoked }
}

/** Revokes every live token of a user; returns the ids revoked. */
export async function revokeTokensOf(db: Database, email: string): Promise<number[]> {
  const user = await liveUser(db, email)
  const live = await db.ApiToken.findAll({
    where: { user_id: user.id, revoked_at: null },
    order: [['id', 'ASC']],
  })

  const revoked: number[] = []
  for (const token of live) {
    if (await revokeLoggedToken(db, user.id, token.id)) revoked.push(token.id)
  }
  return revoked
}

function describeToken(token: ApiToken): string {
  const abilities = token.abilities?.length ? token.abilities.join(',') : '-'
  const lastUsed = token.last_used_at?.toISOString() ?? 'never used'
  const state = token.revoked_at ? `revoked ${token.revoked_at.toISOString()}` : 'live'
  return [
    token.id,
    JSON.stringify(token.name),
    `abilities=${abilities}`,
    `created ${token.created_at.toISOString()}`,
    lastUsed === 'never used' ? lastUsed : `last used ${lastUsed}`,
    state,
  ].join('  ')
}

export function registerTokenCommands(program: Command, rt: CliRuntime): void {
  const tokens = program.command('tokens').description("create, list and revoke users' API tokens")

  tokens
    .command('create')
    .description('create a token and print it once on stdout')
    .requiredOption('--email <email>', 'whose token it is')
    .option('--name <name>', 'a label to tell the token apart by', 'cli')
    .addOption(
      new Option('--ability <ability>', `grant an ability; admins only (${TOKEN_ABILITIES})`)
        .argParser(oneOfEach(TOKEN_ABILITIES))
        .default([], 'none'),
    )
    .addHelpText(
      'after',
      '\nNo password is asked: this is the operator acting on the server.\n\n' +
        'Example:\n' +
        '  TOKEN=$(nukevideo-metering tokens create --email ops@example.com \\\n' +
        '    --name edge-7 --ability ingest)',
    )
    .action(async (options: { email: string; name: string; ability: string[] }) => {
      const name = tokenName.safeParse(options.name)
      if (!name.success) throw invalidOptions(fieldErrors(name.error, 'name'), { name: '--name' })
      const db = await rt.accounts()

      const { user, issued } = await issueToken(db, {
        email: options.email,
        name: name.data,
        abilities: options.ability,
      })
      rt.print(issued.plainText)
      rt.note(
        `Created token ${issued.token.id} "${issued.token.name}" for ${user.email}` +
          `${options.ability.length > 0 ? ` with ${options.ability.join(', ')}` : ''}; ` +
          'it is shown this once.',
      )
    })

  tokens
    .command('list')
    .description("list a user's tokens, revoked ones too (never their secrets)")
    .requiredOption('--email <email>', 'whose tokens')
    .action(async (options: { email: string }) => {
      const db = await rt.accounts()

      const found = await tokensOf(db, options.email)
      for (const token of found) rt.print(describeToken(token))
      if (found.length === 0) rt.note(`${options.email.trim()} has no tokens.`)
    })

  tokens
    .command('revoke')
    .description('revoke one token by id, or every live token of a user')
    .addOption(
      new Option('--id <id>', 'the token to revoke')
        .argParser(wholeNumber(1, MAX_ROW_ID))
        .conflicts('email'),
    )
    .option('--email <email>', 'revoke every live token of this user')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  nukevideo-metering tokens revoke --id 12\n' +
        '  nukevideo-metering tokens revoke --email ops@example.com',
    )
    .action(async (options: { id?: number; email?: string }) => {
      if (options.id === undefined && options.email === undefined) {
        throw new UsageError('give --id or --email')
      }
      const db = await rt.accounts()

      if (options.id !== undefined) {
        const { token, revoked } = await revokeTokenById(db, options.id)
        rt.print(`${revoked ? 'Revoked' : 'Already revoked:'} token ${token.id} "${token.name}"`)
        return
      }
      const revoked = await revokeTokensOf(db, options.email as string)
      rt.print(`Revoked ${revoked.length} token(s) of ${(options.email as string).trim()}`)
    })
}
