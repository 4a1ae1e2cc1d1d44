import { eventSchema } from '../../src/metering/event-schema.js'
import { accountPaths } from './account-paths.js'
import { errorResponses, responseSchemas } from './components.js'
import { inputSchema, type JsonSchema } from './json-schema.js'
import { meteringPaths } from './metering-paths.js'
import { operation } from './operation.js'

const overview = [
  'JSON in and out, snake_case fields, UTC timestamps in ISO 8601. Every response carries',
  '`X-Request-Id` (the caller\'s own when it sends a sane one). Errors are `{ "message" }`,',
  'with `errors` naming every bad field on 422. Any route may also answer 500',
  '`{ "message": "Server Error" }`; the detail goes to the log, never to the caller.',
].join(' ')

const storeState = { enum: ['ok', 'unavailable'] }
const storeChecks = {
  type: 'object',
  properties: { postgres: storeState, redis: storeState, clickhouse: storeState },
  required: ['postgres', 'redis', 'clickhouse'],
  additionalProperties: false,
}

/** Liveness, readiness, metrics and this document: all but metrics open to anyone. */
function operationPaths(): Record<string, JsonSchema> {
  return {
    '/healthz': {
      get: operation({
        operationId: 'health',
        summary: 'Liveness: 200 while the process runs',
        tag: 'operations',
        public: true,
        success: {
          status: 200,
          description: 'Alive.',
          schema: {
            type: 'object',
            properties: { status: { const: 'ok' } },
            required: ['status'],
            additionalProperties: false,
          },
        },
        errors: [],
      }),
    },
    '/readyz': {
      get: operation({
        operationId: 'readiness',
        summary: 'Readiness: PostgreSQL, Redis and ClickHouse each answer within 2 s',
        tag: 'operations',
        public: true,
        success: {
          status: 200,
          description: 'Every store answers.',
          schema: {
            type: 'object',
            properties: { status: { const: 'ready' }, checks: storeChecks },
            required: ['status', 'checks'],
            additionalProperties: false,
          },
        },
        errors: [503],
      }),
    },
    '/metrics': {
      get: operation({
        operationId: 'metrics',
        summary: "Prometheus metrics of this web process and the queue's figures",
        description:
          "For an admin's ordinary token or a token with the `metrics` ability (any other " +
          'token gets 403). HTTP requests by route pattern and status with their latency, ' +
          'jobs of the `metering` queue by state, dead letters, the age of the oldest ' +
          'waiting job, and process figures. The metering worker serves its own event and ' +
          'flush counters on `METRICS_PORT`.',
        tag: 'operations',
        success: {
          status: 200,
          description: 'Prometheus text exposition format 0.0.4.',
          contentType: 'text/plain; version=0.0.4',
          schema: { type: 'string' },
        },
        errors: [403, 503],
      }),
    },
    '/api/openapi.json': {
      get: operation({
        operationId: 'openApiDocument',
        summary: 'This document',
        tag: 'operations',
        public: true,
        success: { status: 200, description: 'OpenAPI 3.1.', schema: { type: 'object' } },
        errors: [],
      }),
    },
  }
}

/**
 * The OpenAPI 3.1 document of the API. Request bodies and query parameters
 * come from the zod schemas the routes validate with, so the document cannot
 * drift from what the API accepts; `bodyLimit` is the configured BODY_LIMIT.
 */
export function buildOpenApiDocument(options: { bodyLimit: string }): JsonSchema {
  const responses = Object.fromEntries(
    Object.entries(errorResponses(options.bodyLimit)).map(([status, response]) => [
      `Error${status}`,
      response,
    ]),
  )

  return {
    openapi: '3.1.0',
    info: { title: 'NukeVideo Metering API', version: '1.0.0', description: overview },
    security: [{ bearer: [] }],
    tags: [
      { name: 'auth', description: 'Bearer tokens.' },
      { name: 'users', description: 'User management, admins only.' },
      { name: 'activity', description: "The caller's history." },
      { name: 'usage', description: "The caller's metered usage." },
      { name: 'analytics', description: 'Platform figures, admins only.' },
      { name: 'events', description: 'Metering events over HTTP, with the ingest ability.' },
      { name: 'operations', description: 'Liveness, readiness, metrics and this document.' },
    ],
    paths: { ...accountPaths(), ...meteringPaths(), ...operationPaths() },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: '`Authorization: Bearer <token>` with a token from `POST /api/auth/tokens`.',
        },
      },
      schemas: {
        Event: {
          ...inputSchema(eventSchema),
          description: 'One metering event: `usage`, `bandwidth` or `activity`.',
        },
        ...responseSchemas,
      },
      responses,
    },
  }
}
