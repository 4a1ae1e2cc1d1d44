import type { Command } from 'commander'
import { z } from 'zod'
import { userFields } from '../accounts/account-fields.js'
import type { User } from '../accounts/models.js'
import { createUser, findUserByEmail, isEmailTaken } from '../accounts/users.js'
import type { Database } from '../postgres/database.js'
import { fieldErrors } from '../validation.js'
import { CommandFailedError, invalidOptions, UsageError } from './cli-errors.js'
import { readPassword } from './password-input.js'
import type { CliRuntime } from './runtime.js'

const adminInput = z.object({
  email: userFields.email,
  name: userFields.name,
  password: userFields.password,
})

export type AdminInput = z.output<typeof adminInput>

/**
 * Creates an admin. An e-mail already taken, in any case, is refused: the
 * command never changes an existing user, so a typo cannot hand admin rights
 * to someone else or reset a password behind their back.
 */
export async function createAdmin(db: Database, input: AdminInput): Promise<User> {
  try {
    return await createUser(db, { ...input, is_admin: true })
  } catch (err) {
    if (!isEmailTaken(err)) throw err
    const holder = await findUserByEmail(db, input.email)
    const who = holder ? ` (user ${holder.id}${holder.is_admin ? ', an admin' : ''})` : ''
    throw new CommandFailedError(
      `A user with e-mail ${input.email} already exists${who}; ` +
        'create-admin never changes an existing user.',
    )
  }
}

interface AdminOptions {
  email?: string
  name?: string
  passwordStdin?: boolean
}

export function registerAdminCommand(program: Command, rt: CliRuntime): void {
  program
    .command('create-admin')
    .description('create an admin user; an e-mail already taken is an error')
    .option('--email <email>', "the admin's e-mail (default: ADMIN_EMAIL)")
    .option('--name <name>', "the admin's name (default: ADMIN_NAME or Administrator)")
    .option('--password-stdin', 'read the password from stdin (default: ADMIN_PASSWORD)')
    .addHelpText(
      'after',
      '\nThe password never goes on the command line, where shell history and ps would\n' +
        'keep it: pipe it in with --password-stdin (typed without echo at a terminal),\n' +
        'or set ADMIN_EMAIL and ADMIN_PASSWORD together (ADMIN_NAME then names them).\n\n' +
        'Example:\n' +
        '  printf \'%s\\n\' "$PASSWORD" | nukevideo-metering create-admin \\\n' +
        '    --email ops@example.com --name Ops --password-stdin',
    )
    .action(async (options: AdminOptions) => {
      const input = await adminInputFrom(rt, options)
      const db = await rt.accounts()

      const admin = await createAdmin(db, input)
      rt.print(`Created admin ${admin.id} <${admin.email}>`)
    })
}

/** E-mail, name and password from the options, or from the bootstrap admin's variables. */
async function adminInputFrom(rt: CliRuntime, options: AdminOptions): Promise<AdminInput> {
  const fromEnv = rt.config.admin
  if (!options.passwordStdin && !fromEnv) {
    throw new UsageError(
      'no password: pass --password-stdin, or set ADMIN_EMAIL and ADMIN_PASSWORD',
    )
  }
  // ADMIN_PASSWORD belongs to ADMIN_EMAIL: lending it to another e-mail is
  // more likely a mistake than a wish.
  const sameEmail = options.email?.trim().toLowerCase() === fromEnv?.email.toLowerCase()
  if (!options.passwordStdin && options.email !== undefined && !sameEmail) {
    throw new UsageError(
      '--email differs from ADMIN_EMAIL, whose password ADMIN_PASSWORD is; ' +
        "pass this admin's password with --password-stdin",
    )
  }

  const password = options.passwordStdin ? await readPassword(rt.io) : fromEnv?.password
  const parsed = adminInput.safeParse({
    email: options.email ?? fromEnv?.email,
    name: options.name ?? fromEnv?.name ?? 'Administrator',
    password,
  })
  if (!parsed.success) {
    throw invalidOptions(fieldErrors(parsed.error), {
      email: '--email',
      name: '--name',
      password: options.passwordStdin ? 'password (from stdin)' : 'ADMIN_PASSWORD',
    })
  }
  return parsed.data
}
