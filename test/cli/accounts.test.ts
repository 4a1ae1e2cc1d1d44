import test from 'ava'
import { verifyPassword } from '../../src/accounts/passwords.js'
import { findUserByToken } from '../../src/accounts/tokens.js'
import { createUser, findUserByEmail } from '../../src/accounts/users.js'
import { readActivity } from '../../src/activity/activity-query.js'
import { cli } from '../fixtures/cli.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let fresh: FreshDatabase
let env: Record<string, string>
let sequence = 0

test.before(async () => {
  fresh = await freshDatabase()
  env = { DATABASE_URL: fresh.url }
})

test.after.always(async () => {
  await fresh?.close()
})

function uniqueEmail(label: string): string {
  sequence += 1
  return `${label}-${sequence}@example.com`
}

async function someUser(label: string, isAdmin: boolean) {
  const email = uniqueEmail(label)
  return createUser(fresh.db, {
    name: label,
    email,
    password: 'the-old-password',
    is_admin: isAdmin,
  })
}

async function activityOf(userId: number) {
  const page = await readActivity(fresh.db, userId, {}, { offset: 0, limit: 100 })
  return page.rows.map((row) => [row.event, row.subject_id]).reverse()
}

test('create-admin reads the password from stdin, less its line break', async (t) => {
  const email = uniqueEmail('Ops')

  const run = await cli(
    ['create-admin', '--email', email, '--name', 'Ops', '--password-stdin'],
    env,
    'a long password\n',
  )

  const admin = await findUserByEmail(fresh.db, email)
  t.deepEqual(run, { code: 0, stdout: `Created admin ${admin?.id} <${email}>\n`, stderr: '' })
  t.like(admin?.get(), { name: 'Ops', email, is_admin: true })
  t.true(await verifyPassword(admin?.password_hash ?? '', 'a long password'))
})

test('create-admin takes ADMIN_EMAIL, ADMIN_PASSWORD and ADMIN_NAME', async (t) => {
  const email = uniqueEmail('bootstrap')
  const adminEnv = {
    ...env,
    ADMIN_EMAIL: email,
    ADMIN_PASSWORD: 'from-the-environment',
    ADMIN_NAME: 'Root',
  }

  const run = await cli(['create-admin'], adminEnv)
  const again = await cli(['create-admin', '--email', email.toUpperCase()], adminEnv)

  const admin = await findUserByEmail(fresh.db, email)
  t.is(run.code, 0)
  t.like(admin?.get(), { name: 'Root', is_admin: true })
  t.true(await verifyPassword(admin?.password_hash ?? '', 'from-the-environment'))
  t.is(again.code, 1, 'the same e-mail, in other case, is taken')
})

test('an e-mail already taken in any case is refused and the user left unchanged', async (t) => {
  const user = await someUser('taken', false)

  const run = await cli(
    ['create-admin', '--email', user.email.toUpperCase(), '--password-stdin'],
    env,
    'a brand new password',
  )

  t.is(run.code, 1)
  t.is(run.stdout, '')
  t.is(
    run.stderr,
    `error: A user with e-mail ${user.email.toUpperCase()} already exists (user ${user.id}); ` +
      'create-admin never changes an existing user.\n',
  )
  const after = await findUserByEmail(fresh.db, user.email)
  t.false(after?.is_admin)
  t.true(await verifyPassword(after?.password_hash ?? '', 'the-old-password'))
})

test('bad input to create-admin is a usage error that names it', async (t) => {
  const cases: [string[], Record<string, string>, string, string][] = [
    [
      ['--email', 'x@example.com', '--password-stdin'],
      {},
      'short\n',
      'password (from stdin): Too small: expected string to have >=8 characters',
    ],
    [
      ['--email', 'not-an-email', '--password-stdin'],
      {},
      'long enough',
      '--email: Invalid email address',
    ],
    [['--password-stdin'], {}, 'long enough', '--email: is required'],
    [
      ['--email', 'x@example.com'],
      {},
      '',
      'no password: pass --password-stdin, or set ADMIN_EMAIL and ADMIN_PASSWORD',
    ],
    [
      ['--email', 'other@example.com'],
      { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'long enough' },
      '',
      "--email differs from ADMIN_EMAIL, whose password ADMIN_PASSWORD is; pass this admin's " +
        'password with --password-stdin',
    ],
    [
      ['--email', 'x@example.com'],
      { ADMIN_PASSWORD: 'long enough' },
      '',
      'Invalid configuration: ADMIN_PASSWORD: ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
    ],
  ]

  for (const [args, extraEnv, stdin, message] of cases) {
    const run = await cli(['create-admin', ...args], { ...env, ...extraEnv }, stdin)
    t.deepEqual(run, { code: 2, stdout: '', stderr: `error: ${message}\n` }, args.join(' '))
  }
  t.is(await findUserByEmail(fresh.db, 'x@example.com'), null)
})

test('tokens create prints the token alone, once, and it signs in as its user', async (t) => {
  const admin = await someUser('edge-admin', true)

  const run = await cli(
    ['tokens', 'create', '--email', admin.email, '--name', 'edge-7', '--ability', 'ingest'],
    env,
  )

  t.is(run.code, 0)
  t.regex(run.stdout, /^\d+\|[A-Za-z0-9_-]{43}\n$/)
  const owner = await findUserByToken(fresh.db, run.stdout.trim())
  t.is(owner?.user.id, admin.id)
  t.like(owner?.token.get(), { name: 'edge-7', abilities: ['ingest'] })
  t.is(
    run.stderr,
    `Created token ${owner?.token.id} "edge-7" for ${admin.email} with ingest; ` +
      'it is shown this once.\n',
  )
  t.deepEqual(await activityOf(admin.id), [['token.created', String(owner?.token.id)]])
})

test('tokens create follows the rules of the API', async (t) => {
  const user = await someUser('plain', false)

  const ability = await cli(['tokens', 'create', '--email', user.email, '--ability', 'ingest'], env)
  const unknownAbility = await cli(
    ['tokens', 'create', '--email', user.email, '--ability', 'x'],
    env,
  )
  const nobody = await cli(['tokens', 'create', '--email', 'nobody@example.com'], env)
  const noEmail = await cli(['tokens', 'create'], env)

  t.deepEqual(ability, {
    code: 1,
    stdout: '',
    stderr: `error: Only an admin's token may have abilities, and ${user.email} is not an admin.\n`,
  })
  t.is(unknownAbility.code, 2)
  t.regex(unknownAbility.stderr, /^error: option '--ability <ability>' argument 'x' is invalid/)
  t.deepEqual(nobody, {
    code: 1,
    stdout: '',
    stderr: 'error: No user with e-mail nobody@example.com.\n',
  })
  t.is(noEmail.code, 2)
  t.regex(noEmail.stderr, /^error: required option '--email <email>' not specified/)
  t.is(await fresh.db.ApiToken.count({ where: { user_id: user.id } }), 0)
})

test('tokens list shows every token of a user and never a secret', async (t) => {
  const user = await someUser('lister', false)
  const first = await cli(['tokens', 'create', '--email', user.email, '--name', 'laptop'], env)
  await cli(['tokens', 'create', '--email', user.email], env)

  const run = await cli(['tokens', 'list', '--email', user.email], env)

  const [firstId, secret] = first.stdout.trim().split('|') as [string, string]
  const lines = run.stdout.trim().split('\n')
  t.is(run.code, 0)
  t.is(lines.length, 2)
  t.regex(
    lines[0] ?? '',
    new RegExp(`^${firstId}  "laptop"  abilities=-  created \\S+  never used  live$`),
  )
  t.regex(lines[1] ?? '', /^\d+ {2}"cli" {2}abilities=- {2}created \S+ {2}never used {2}live$/)
  t.false(run.stdout.includes(secret))
})

test('tokens revoke by id stops that token, and says so when it was revoked already', async (t) => {
  const user = await someUser('revoker', false)
  const token = (await cli(['tokens', 'create', '--email', user.email], env)).stdout.trim()
  const id = token.split('|')[0]

  const first = await cli(['tokens', 'revoke', '--id', String(id)], env)
  const second = await cli(['tokens', 'revoke', '--id', String(id)], env)
  const unknown = await cli(['tokens', 'revoke', '--id', '2147483647'], env)

  t.deepEqual(first, { code: 0, stdout: `Revoked token ${id} "cli"\n`, stderr: '' })
  t.deepEqual(second, { code: 0, stdout: `Already revoked: token ${id} "cli"\n`, stderr: '' })
  t.deepEqual(unknown, { code: 1, stdout: '', stderr: 'error: No token 2147483647.\n' })
  t.is(await findUserByToken(fresh.db, token), null)
  t.deepEqual(await activityOf(user.id), [
    ['token.created', id],
    ['token.revoked', id],
  ])
})

test("tokens revoke by e-mail stops every live token of that user and no one else's", async (t) => {
  const user = await someUser('leaver', false)
  const other = await someUser('stayer', false)
  const mine = [
    (await cli(['tokens', 'create', '--email', user.email], env)).stdout.trim(),
    (await cli(['tokens', 'create', '--email', user.email], env)).stdout.trim(),
  ]
  const theirs = (await cli(['tokens', 'create', '--email', other.email], env)).stdout.trim()

  const run = await cli(['tokens', 'revoke', '--email', user.email], env)

  t.deepEqual(run, { code: 0, stdout: `Revoked 2 token(s) of ${user.email}\n`, stderr: '' })
  for (const token of mine) t.is(await findUserByToken(fresh.db, token), null)
  t.is((await findUserByToken(fresh.db, theirs))?.user.id, other.id)
})

test('tokens revoke needs exactly one of --id and --email, and a real id', async (t) => {
  const neither = await cli(['tokens', 'revoke'], env)
  const both = await cli(['tokens', 'revoke', '--id', '1', '--email', 'a@example.com'], env)
  const badId = await cli(['tokens', 'revoke', '--id', '1e3'], env)

  t.deepEqual(neither, { code: 2, stdout: '', stderr: 'error: give --id or --email\n' })
  t.is(both.code, 2)
  t.regex(both.stderr, /^error: option '--id <id>' cannot be used with option '--email <email>'/)
  t.is(badId.code, 2)
  t.true(
    badId.stderr.startsWith(
      "error: option '--id <id>' argument '1e3' is invalid. " +
        'must be a whole number from 1 to 2147483647.\n',
    ),
  )
})
