import { INGEST_ABILITY, METRICS_ABILITY, TOKEN_ABILITIES } from '../../src/accounts/tokens.js'
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, pageQuerySchema } from '../pagination.js'
import { activityQuerySchema } from '../routes/activity-log.js'
import { tokenRequest } from '../routes/auth.js'
import { createUserBody, updateUserBody } from '../routes/users.js'
import { ref } from './components.js'
import { inputSchema, type JsonSchema, queryParameters } from './json-schema.js'
import { dataOf, operation } from './operation.js'

const adminsOnly = '**Admins only**: any other token gets 403.'

const pageDescriptions = {
  page: 'The page to show, from 1; default 1.',
  per_page: `Rows per page, 1 to ${MAX_PER_PAGE}; default ${DEFAULT_PER_PAGE}.`,
}

const pageOf = (item: JsonSchema) =>
  dataOf({ type: 'array', items: item }, { meta: ref('PageMeta') })

const userId = {
  name: 'id',
  in: 'path' as const,
  required: true,
  description: 'The user id; anything that is not a live user is 404.',
  schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
}

/** `/api/auth/…`: signing in and out with bearer tokens. */
function authPaths(): Record<string, JsonSchema> {
  return {
    '/api/auth/tokens': {
      post: operation({
        operationId: 'createToken',
        summary: 'Trade e-mail and password for a bearer token',
        description:
          `The token is shown once and stored only as a hash. Wrong credentials are a 422 ` +
          `naming \`email\`. \`abilities\` (${TOKEN_ABILITIES.join(', ')}) make a token for ` +
          `those routes only; only an admin may ask for any, others get 403. A token with ` +
          `\`${INGEST_ABILITY}\` may call \`POST /api/events\`, one with \`${METRICS_ABILITY}\` ` +
          `\`GET /metrics\`, and nothing else but \`/api/auth/me\` and its own revocation ` +
          `(403 elsewhere).`,
        tag: 'auth',
        public: true,
        body: inputSchema(tokenRequest),
        success: { status: 201, description: 'The new token.', schema: dataOf(ref('Token')) },
        errors: [403, 422, 503],
      }),
    },
    '/api/auth/me': {
      get: operation({
        operationId: 'showMe',
        summary: 'The user the token belongs to',
        tag: 'auth',
        success: { status: 200, description: 'The caller.', schema: dataOf(ref('User')) },
        errors: [503],
      }),
    },
    '/api/auth/tokens/current': {
      delete: operation({
        operationId: 'revokeCurrentToken',
        summary: 'Revoke the token making this request',
        tag: 'auth',
        success: { status: 204, description: 'Revoked; the token no longer works.' },
        errors: [503],
      }),
    },
  }
}

/** `/api/users…`: admins manage users. */
function userPaths(): Record<string, JsonSchema> {
  const user = dataOf(ref('User'))
  return {
    '/api/users': {
      get: operation({
        operationId: 'listUsers',
        summary: 'List live users, oldest first',
        description: adminsOnly,
        tag: 'users',
        parameters: queryParameters(pageQuerySchema, pageDescriptions),
        success: { status: 200, description: 'One page of users.', schema: pageOf(ref('User')) },
        errors: [403, 422, 503],
      }),
      post: operation({
        operationId: 'createUser',
        summary: 'Create a user',
        description: `${adminsOnly} An e-mail taken in any case is a 409.`,
        tag: 'users',
        body: inputSchema(createUserBody),
        success: { status: 201, description: 'The new user.', schema: user },
        errors: [403, 409, 422, 503],
      }),
    },
    '/api/users/{id}': {
      get: operation({
        operationId: 'showUser',
        summary: 'Show a user',
        description: adminsOnly,
        tag: 'users',
        parameters: [userId],
        success: { status: 200, description: 'The user.', schema: user },
        errors: [403, 404, 503],
      }),
      put: operation({
        operationId: 'replaceUser',
        summary: "Replace a user's name, e-mail and admin flag, and optionally the password",
        description:
          `${adminsOnly} A new password revokes the user's tokens (except the one in use ` +
          `when admins change their own). 409 for a taken e-mail, for demoting yourself and ` +
          `for demoting the last admin.`,
        tag: 'users',
        parameters: [userId],
        body: inputSchema(updateUserBody),
        success: { status: 200, description: 'The user as stored.', schema: user },
        errors: [403, 404, 409, 422, 503],
      }),
      delete: operation({
        operationId: 'deleteUser',
        summary: 'Delete a user and revoke their tokens; their usage history stays',
        description: `${adminsOnly} 409 for deleting yourself and for the last admin.`,
        tag: 'users',
        parameters: [userId],
        success: { status: 204, description: 'Deleted.' },
        errors: [403, 404, 409, 503],
      }),
    },
  }
}

/** `/api/activity-log`: the caller's own history. */
function activityPaths(): Record<string, JsonSchema> {
  return {
    '/api/activity-log': {
      get: operation({
        operationId: 'listActivity',
        summary: "The caller's own history, newest first",
        description:
          'Entries come from `activity` events and from the API itself (user created, ' +
          'updated, deleted; token created, revoked), owned by the acting user.',
        tag: 'activity',
        parameters: queryParameters(activityQuerySchema, {
          ...pageDescriptions,
          event: 'Only entries with this event name, such as `user.created`.',
          from: 'Only entries on or after this UTC day, YYYY-MM-DD.',
          to: 'Only entries on or before this UTC day, YYYY-MM-DD; not before `from`.',
        }),
        success: {
          status: 200,
          description: 'One page of entries.',
          schema: pageOf(ref('ActivityEntry')),
        },
        errors: [422, 503],
      }),
    },
  }
}

/** The paths of accounts: auth, users and the activity log. */
export function accountPaths(): Record<string, JsonSchema> {
  return { ...authPaths(), ...userPaths(), ...activityPaths() }
}
