import { inputSchema, type JsonSchema } from '../json-schema.js'
import { MAX_BATCH_EVENTS } from './event-schema.js'
import { activitySchema } from './events/activity.js'
import { bandwidthSchema } from './events/bandwidth.js'
import { usageSchema } from './events/usage.js'
import { JOB_NAMES, METERING_QUEUE } from './queues.js'

/** Where the contract is committed, relative to the package root. */
export const JOB_SCHEMA_PATH = 'schema/metering-job.schema.json'

const ref = (name: string) => ({ $ref: `#/$defs/${name}` })

const jobDescription = [
  `A job on the BullMQ queue \`${METERING_QUEUE}\`, for producers in any language.`,
  `A job named \`${JOB_NAMES.event}\` carries one event as its data; a job named`,
  `\`${JOB_NAMES.batch}\` carries \`{ "events": [...] }\` with 1 to ${MAX_BATCH_EVENTS}.`,
  'Use the key prefix the worker uses (QUEUE_PREFIX, default `bull`). Derive the job id',
  'from event_id, and set attempts with a backoff: the worker retries store outages itself,',
  'never bad input. An event that breaks a rule is not retried: it is parked in the queue',
  `\`${METERING_QUEUE}-dead-letter\` with a reason naming each bad field; in a batch the`,
  'valid events still count.',
].join(' ')

/**
 * The metering job contract as JSON Schema (2020-12), generated from the zod
 * schemas the worker validates with, so it cannot drift from what the worker
 * accepts. Rules a JSON Schema cannot state (exact byte ranges, IP syntax,
 * secret keys in properties) are in each field's description; the worker
 * checks them all.
 */
export function meteringJobSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'NukeVideo metering job',
    description: jobDescription,
    type: 'object',
    properties: {
      queue: { const: METERING_QUEUE, description: 'The BullMQ queue name.' },
      name: { enum: Object.values(JOB_NAMES), description: 'The BullMQ job name.' },
      data: { description: 'The BullMQ job data: see the job names.' },
    },
    required: ['queue', 'name', 'data'],
    oneOf: [
      { properties: { name: { const: JOB_NAMES.event }, data: ref('Event') } },
      { properties: { name: { const: JOB_NAMES.batch }, data: ref('Batch') } },
    ],
    $defs: {
      Event: {
        description: 'One metering event, by its `type`.',
        oneOf: [ref('UsageEvent'), ref('BandwidthEvent'), ref('ActivityEvent')],
      },
      Batch: {
        description: 'The data of a `batch` job. Other keys are ignored.',
        type: 'object',
        properties: {
          events: {
            type: 'array',
            minItems: 1,
            maxItems: MAX_BATCH_EVENTS,
            items: ref('Event'),
          },
        },
        required: ['events'],
      },
      UsageEvent: {
        ...inputSchema(usageSchema),
        description: 'Upload bytes or encoding seconds, summed per user, metric and UTC day.',
      },
      BandwidthEvent: {
        ...inputSchema(bandwidthSchema),
        description: 'Bytes a streaming proxy served, kept one row per event for analytics.',
      },
      ActivityEvent: {
        ...inputSchema(activitySchema),
        description: "An entry for the owner's activity log, shown once per event_id.",
      },
    },
  }
}

/** The file's exact text: two-space JSON and a final newline. */
export function meteringJobSchemaText(): string {
  return `${JSON.stringify(meteringJobSchema(), null, 2)}\n`
}
