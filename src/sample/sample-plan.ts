import { type ExpectedUsage, expectedUsage } from './expected-usage.js'
import { planJobs, type SampleJob } from './job-plan.js'
import { type GeneratedEvent, generateEvents, type SampleDayOptions } from './sample-day.js'

/** A whole sample day: the unique events, the jobs that send them, and what must be counted. */
export interface SamplePlan {
  day: string
  seed: number
  events: GeneratedEvent[]
  jobs: SampleJob[]
  expected: ExpectedUsage
  /** Events sent a second time with the same id and content. */
  retries: number
}

/** Builds a sample day without touching any store; the same options give the same plan. */
export function planSampleDay(options: SampleDayOptions): SamplePlan {
  const events = generateEvents(options)
  const jobs = planJobs(events, { day: options.day, seed: options.seed })
  const sent = jobs.reduce(
    (count, job) => count + (job.name === 'batch' ? job.events.length : 1),
    0,
  )
  return {
    day: options.day,
    seed: options.seed,
    events,
    jobs,
    expected: expectedUsage(events),
    retries: sent - events.length,
  }
}
