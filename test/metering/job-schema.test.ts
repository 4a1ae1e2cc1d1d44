import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import test from 'ava'
import { parseEvent } from '../../src/metering/event-schema.js'
import { JOB_SCHEMA_PATH, meteringJobSchemaText } from '../../src/metering/job-schema.js'
import { batchJobId, eventJobId } from '../../src/metering/producer.js'
import { assignedLiterals } from '../fixtures/code-literals.js'
import { shapeProblems } from '../fixtures/json-shape.js'

type Schema = Record<string, unknown>
const schemaText = readFileSync(new URL(`../../${JOB_SCHEMA_PATH}`, import.meta.url), 'utf8')
// biome-ignore lint/suspicious/noExplicitAny: the test walks the schema document freely
const schema: any = JSON.parse(schemaText)
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The code blocks of the README in one language. */
function codeBlocks(language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm')
  return [...readme.matchAll(fence)].map((match) => match[1] as string)
}

/** The event literals of a language's README examples, by event id. */
function exampleEvents(language: string): Map<string, unknown> {
  const events = new Map<string, unknown>()
  for (const block of codeBlocks(language)) {
    for (const value of assignedLiterals(block).values()) {
      const eventId = (value as { event_id?: unknown } | null)?.event_id
      if (typeof eventId === 'string') events.set(eventId, value)
    }
  }
  return events
}

const againstSchema = (value: unknown, at: string) =>
  shapeProblems(value, { $ref: `#/$defs/${at}` }, schema as Schema)

test('the committed job schema is the one the zod schemas generate', (t) => {
  t.is(schemaText, meteringJobSchemaText(), 'run npm run job-schema')
})

test('the schema names the queue, the job names and the batch bounds', (t) => {
  t.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema')
  t.is(schema.properties.queue.const, 'metering')
  t.deepEqual(schema.properties.name.enum, ['event', 'batch'])
  t.deepEqual(schema.oneOf, [
    { properties: { name: { const: 'event' }, data: { $ref: '#/$defs/Event' } } },
    { properties: { name: { const: 'batch' }, data: { $ref: '#/$defs/Batch' } } },
  ])
  t.deepEqual(schema.$defs.Batch.properties.events, {
    type: 'array',
    minItems: 1,
    maxItems: 1000,
    items: { $ref: '#/$defs/Event' },
  })
})

test('every event type lists each of its fields with a rule', (t) => {
  const common = ['event_id', 'user_id', 'occurred_at', 'type']
  const fields = {
    UsageEvent: [...common, 'metric', 'value', 'external_user_id'],
    BandwidthEvent: [...common, ...['video_ulid', 'bytes', 'ip', 'session_id', 'external_user_id']],
    ActivityEvent: [
      ...common,
      ...['event', 'description', 'subject_type', 'subject_id', 'properties'],
    ],
  }
  const required = {
    UsageEvent: ['event_id', 'user_id', 'type', 'metric', 'value'],
    BandwidthEvent: ['event_id', 'user_id', 'type', 'video_ulid', 'bytes', 'ip'],
    ActivityEvent: ['event_id', 'user_id', 'type', 'event', 'description'],
  }

  for (const [name, expected] of Object.entries(fields)) {
    const definition = schema.$defs[name]
    t.deepEqual(Object.keys(definition.properties), expected, name)
    t.deepEqual(definition.required, required[name as keyof typeof required], name)
    t.false(definition.additionalProperties, name)
    const undescribed = expected.filter(
      (field) => field !== 'type' && !(definition.properties[field].description?.length > 20),
    )
    t.deepEqual(undescribed, [], `${name}: fields without a rule`)
  }
  t.deepEqual(
    schema.$defs.Event.oneOf.map((branch: Schema) => branch.$ref),
    ['#/$defs/UsageEvent', '#/$defs/BandwidthEvent', '#/$defs/ActivityEvent'],
  )
})

test('the schema refuses what the worker refuses, field by field', (t) => {
  const upload = {
    event_id: 'upload-1',
    type: 'usage',
    user_id: 42,
    metric: 'upload_bytes',
    value: '100',
  }
  t.deepEqual(againstSchema(upload, 'Event'), [])
  t.deepEqual(againstSchema({ ...upload, metric: 'encoding_tpu' }, 'UsageEvent'), [
    '$.metric: not in enum',
  ])
  t.deepEqual(againstSchema({ ...upload, user_id: 0 }, 'UsageEvent'), ['$.user_id: is not above 0'])
  t.deepEqual(againstSchema({ ...upload, occured_at: '2026-04-01T00:00:00Z' }, 'UsageEvent'), [
    '$.occured_at: is not documented',
  ])
  t.deepEqual(againstSchema({ ...upload, occurred_at: '2026-04-01T00:00:00' }, 'UsageEvent'), [
    '$.occurred_at: fails its pattern',
  ])
  t.deepEqual(againstSchema({ events: [] }, 'Batch'), ['$.events: has fewer than 1 items'])
  t.deepEqual(
    shapeProblems({ queue: 'metering', name: 'batch', data: { events: [upload] } }, schema, schema),
    [],
  )
  t.deepEqual(shapeProblems({ queue: 'metering', name: 'batch', data: upload }, schema, schema), [
    '$: matches 0 branches of oneOf',
  ])
})

for (const [language, expected] of [
  ['php', ['upload-4711', 'encode-4711-chunk-3', 'encode-4711-chunk-4']],
  ['python', ['edge-7-line-88123', 'encode-4712-chunk-1', 'video-4712-uploaded']],
] as const) {
  test(`the README's ${language} example events pass the worker's schema and the file`, (t) => {
    const events = exampleEvents(language)
    t.deepEqual([...events.keys()], [...expected])

    for (const [eventId, event] of events) {
      const parsed = parseEvent(event, Date.parse('2026-04-01T12:00:00Z'))
      t.deepEqual(parsed.ok ? [] : parsed.errors, [], eventId)
      t.deepEqual(againstSchema(event, 'Event'), [], eventId)
    }
  })
}

const python = spawnSync('python3', ['--version']).status === 0

/** The README's Python job-id functions, run by Python itself on `ids`. */
function pythonJobIds(ids: string[]): { single: string[]; batch: string } {
  const [block] = codeBlocks('python')
  const functions = [...(block ?? '').matchAll(/^def [\s\S]*?(?=\n\n\n)/gm)].map((m) => m[0])
  const program = [
    'import hashlib, json, sys',
    ...functions,
    'ids = json.load(sys.stdin)',
    'print(json.dumps({"single": [event_job_id(i) for i in ids],',
    '                  "batch": batch_job_id([{"event_id": i} for i in ids])}))',
  ].join('\n')
  const run = spawnSync('python3', ['-c', program], { input: JSON.stringify(ids) })
  if (run.status !== 0) throw new Error(run.stderr.toString())
  return JSON.parse(run.stdout.toString())
}

;(python ? test : test.skip)("the README's Python job ids are the TypeScript producer's", (t) => {
  const ids = ['upload-4711', 'ünïcödé/id "quoted"\n\tend', '日本語-🎬']
  t.deepEqual(pythonJobIds(ids), {
    single: ids.map(eventJobId),
    batch: batchJobId(ids),
  })
})
