import path from 'node:path'
import { z } from 'zod'
import { ConfigError } from './errors.js'
import { fieldErrors } from './validation.js'

/** Digits only: `PORT= ` or `1e3` is a mistake to name, not a number to guess. */
const wholeNumber = z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number)
const port = wholeNumber.pipe(z.number().max(65535, 'must be at most 65535'))
const bounded = (min: number, max: number) =>
  wholeNumber.pipe(
    z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  )

/** The URL's scheme when it parses, so a refinement never throws on a malformed one. */
const schemeOf = (value: string) => (URL.canParse(value) ? new URL(value).protocol : undefined)

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(URL.canParse, 'must be a URL')
    .refine((value) => !URL.canParse(value) || protocols.includes(schemeOf(value) ?? ''), {
      message: `must use one of ${protocols.join(', ')}`,
    })

const optionalUrl = (protocols: string[]) =>
  url(protocols)
    .optional()
    .or(z.literal('').transform(() => undefined))

/** Redis's database is the URL's path: none, or a number such as `/3`. */
const redisUrl = url(['redis:', 'rediss:']).refine(
  (value) => !URL.canParse(value) || /^\/?\d*$/.test(new URL(value).pathname),
  'the path must be a database number such as /3',
)

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    PORT: port.default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_{}:.-]+$/, 'letters, digits and _ { } : . - only')
      // Redis Cluster hashes only what the first {…} holds; `{}` or a lone
      // brace would hash whole keys and scatter the queue over slots.
      .refine(
        (prefix) => !/[{}]/.test(prefix) || /^[^{}]*\{[^{}]+\}[^{}]*$/.test(prefix),
        'braces must form one hash tag such as {nukevideo}',
      )
      .default('bull'),
    CLICKHOUSE_URL: optionalUrl(['http:', 'https:']),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .default('nukevideo'),
    CLICKHOUSE_CLUSTER: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .optional(),
    CLICKHOUSE_TIMEOUT_MS: bounded(1_000, 600_000).default(30_000),
    FLUSH_BATCH_SIZE: bounded(1, 100_000).default(5_000),
    FLUSH_INTERVAL_MS: bounded(1, 60_000).default(250),
    WORKER_CONCURRENCY: bounded(1, 10_000).default(500),
    DEDUP_HORIZON_SECONDS: bounded(60, 10 * 365 * 24 * 3600).default(7 * 24 * 3600),
    WORKER_LOCK_MS: bounded(1_000, 600_000).default(30_000),
    WORKER_HEALTH_FILE: z.string().min(1).optional(),
    HTTP_DRAIN_TIMEOUT_MS: bounded(0, 600_000).default(15_000),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(kb|mb)$/i, 'a size such as 1mb or 512kb')
      .default('1mb'),
    ADMIN_EMAIL: z
      .email()
      .optional()
      .or(z.literal('').transform(() => undefined)),
    ADMIN_PASSWORD: z
      .string()
      .min(8)
      .max(200)
      .optional()
      .or(z.literal('').transform(() => undefined)),
    ADMIN_NAME: z.string().min(1).max(255).default('Administrator'),
    ADMIN_SESSION_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    ADMIN_SESSION_MINUTES: bounded(5, 24 * 60).default(60),
    METRICS_PORT: port.default(9464),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  })
  .refine((env) => Boolean(env.ADMIN_EMAIL) === Boolean(env.ADMIN_PASSWORD), {
    message: 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
    path: ['ADMIN_PASSWORD'],
  })
  .refine((env) => !env.CLICKHOUSE_CLUSTER || env.CLICKHOUSE_URL, {
    message: 'needs CLICKHOUSE_URL: the embedded engine is a single server',
    path: ['CLICKHOUSE_CLUSTER'],
  })

type Env = z.infer<typeof schema>

/** Every environment variable the configuration reads; any other is ignored. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Env)[]

/** The process configuration, read once from the environment at start-up. */
export interface Config {
  env: Env['NODE_ENV']
  logLevel: Env['LOG_LEVEL']
  http: {
    port: number
    host: string
    bodyLimit: string
    /** How long a stopping `web` lets requests in flight finish before it cuts them. */
    drainTimeoutMs: number
  }
  dataDir: string
  /** Unset: the embedded PGlite engine under `dataDir`. */
  databaseUrl: string | undefined
  redisUrl: string
  queuePrefix: string
  /** Unset: the embedded chDB engine under `dataDir`. */
  clickhouseUrl: string | undefined
  clickhouseDatabase: string
  /**
   * Unset: one ClickHouse server. Set: the cluster (as the servers name it)
   * the migrations create Replicated and Distributed tables on.
   */
  clickhouseCluster: string | undefined
  /** Longest a ClickHouse request may take before it fails and is retried. */
  clickhouseTimeoutMs: number
  worker: {
    flushBatchSize: number
    flushIntervalMs: number
    concurrency: number
    dedupHorizonSeconds: number
    /**
     * How long a job stays locked to a worker that stopped renewing it (dead
     * or stalled) before another worker runs it again.
     */
    lockMs: number
    /** Rewritten every few seconds while the worker is alive, for a health check. */
    healthFile?: string | undefined
  }
  admin: { email: string; password: string; name: string } | undefined
  /** Sign-ins to the queue dashboard (web). */
  adminSession: {
    /** Signs the session cookie; unset: a random key per process. */
    secret: string | undefined
    ttlMinutes: number
  }
  /** The worker's own Prometheus endpoint; port 0 turns it off. */
  metrics: { port: number; host: string }
}

/**
 * Validates the environment and reports every bad variable at once. A
 * variable set to nothing (`PORT=`) counts as unset, as in most shells' use.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const given = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ''),
  )
  const parsed = schema.safeParse(given)
  if (!parsed.success) {
    throw new ConfigError(fieldErrors(parsed.error))
  }

  const env = parsed.data
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      port: env.PORT,
      host: env.HOST,
      bodyLimit: env.BODY_LIMIT,
      drainTimeoutMs: env.HTTP_DRAIN_TIMEOUT_MS,
    },
    dataDir: path.resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    clickhouseUrl: env.CLICKHOUSE_URL,
    clickhouseDatabase: env.CLICKHOUSE_DATABASE,
    clickhouseCluster: env.CLICKHOUSE_CLUSTER,
    clickhouseTimeoutMs: env.CLICKHOUSE_TIMEOUT_MS,
    worker: {
      flushBatchSize: env.FLUSH_BATCH_SIZE,
      flushIntervalMs: env.FLUSH_INTERVAL_MS,
      concurrency: env.WORKER_CONCURRENCY,
      dedupHorizonSeconds: env.DEDUP_HORIZON_SECONDS,
      lockMs: env.WORKER_LOCK_MS,
      healthFile: env.WORKER_HEALTH_FILE,
    },
    admin:
      env.ADMIN_EMAIL && env.ADMIN_PASSWORD
        ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD, name: env.ADMIN_NAME }
        : undefined,
    adminSession: { secret: env.ADMIN_SESSION_SECRET, ttlMinutes: env.ADMIN_SESSION_MINUTES },
    metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST },
  }
}
