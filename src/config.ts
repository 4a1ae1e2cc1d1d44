import path from 'node:path'
import { z } from 'zod'
import { ConfigError } from './errors.js'
import { fieldErrors } from './validation.js'

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .url()
    .refine((value) => protocols.includes(new URL(value).protocol), {
      message: `must use one of ${protocols.join(', ')}`,
    })
    .optional()
    .or(z.literal('').transform(() => undefined))

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
    REDIS_URL: z
      .string()
      .trim()
      .url()
      .refine((value) => ['redis:', 'rediss:'].includes(new URL(value).protocol), {
        message: 'must use redis: or rediss:',
      })
      .default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_{}:.-]+$/, 'letters, digits and _ { } : . - only')
      .default('bull'),
    CLICKHOUSE_URL: optionalUrl(['http:', 'https:']),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
      .default('nukevideo'),
    FLUSH_BATCH_SIZE: positiveInt.max(100_000).default(5_000),
    FLUSH_INTERVAL_MS: positiveInt.max(60_000).default(250),
    WORKER_CONCURRENCY: positiveInt.max(10_000).default(500),
    DEDUP_HORIZON_SECONDS: positiveInt.min(60).default(7 * 24 * 3600),
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
  })
  .refine((env) => Boolean(env.ADMIN_EMAIL) === Boolean(env.ADMIN_PASSWORD), {
    message: 'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
    path: ['ADMIN_PASSWORD'],
  })

type Env = z.infer<typeof schema>

/** The process configuration, read once from the environment at start-up. */
export interface Config {
  env: Env['NODE_ENV']
  logLevel: Env['LOG_LEVEL']
  http: { port: number; host: string; bodyLimit: string }
  dataDir: string
  /** Unset: the embedded PGlite engine under `dataDir`. */
  databaseUrl: string | undefined
  redisUrl: string
  queuePrefix: string
  /** Unset: the embedded chDB engine under `dataDir`. */
  clickhouseUrl: string | undefined
  clickhouseDatabase: string
  worker: {
    flushBatchSize: number
    flushIntervalMs: number
    concurrency: number
    dedupHorizonSeconds: number
  }
  admin: { email: string; password: string; name: string } | undefined
}

/** Validates the environment and reports every bad variable at once. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source)
  if (!parsed.success) {
    throw new ConfigError(fieldErrors(parsed.error))
  }

  const env = parsed.data
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: { port: env.PORT, host: env.HOST, bodyLimit: env.BODY_LIMIT },
    dataDir: path.resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    clickhouseUrl: env.CLICKHOUSE_URL,
    clickhouseDatabase: env.CLICKHOUSE_DATABASE,
    worker: {
      flushBatchSize: env.FLUSH_BATCH_SIZE,
      flushIntervalMs: env.FLUSH_INTERVAL_MS,
      concurrency: env.WORKER_CONCURRENCY,
      dedupHorizonSeconds: env.DEDUP_HORIZON_SECONDS,
    },
    admin:
      env.ADMIN_EMAIL && env.ADMIN_PASSWORD
        ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD, name: env.ADMIN_NAME }
        : undefined,
  }
}
