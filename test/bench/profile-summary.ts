/**
 * Reads V8 `.cpuprofile` files and sums, over all of them: self time by
 * function; self time by package or project file; and time by the nearest
 * product function on the stack (src/, workers/, api/), so that zod's time
 * shows under the validation that called it and ioredis's under the claim.
 *
 *   npx tsx test/bench/profile-summary.ts worker-*.cpuprofile [--top N] [--per N]
 *
 * `--per N` adds the cost per unit (e.g. per event) in µs.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, per: { type: 'string' } },
})
if (positionals.length === 0) {
  throw new Error('usage: profile-summary.ts <file.cpuprofile>... [--top N] [--per N]')
}
const top = Number(values.top)
const per = values.per === undefined ? undefined : Number(values.per)

const productCode = /\/(src|workers|api)\//
const profilerItself = '(profiler)'

/** Steps of the metering worker, by the file of the nearest product frame or the package. */
const steps: [string, RegExp][] = [
  [
    'validation',
    /src\/(metering\/(event-schema|events\/|quantity)|time\/|storable-text|validation)/,
  ],
  ['job handling', /workers\/metering\/(processor|dead-letters)/],
  ['user lookup', /src\/accounts\/user-directory|\b(sequelize|pg|pg-protocol|pg-pool)$/],
  ['batching', /workers\/metering\/batcher/],
  ['journal encoding', /src\/metering\/record-codec/],
  ['dedup claim and commit', /src\/metering\/dedup-store/],
  // Replies arrive outside any product frame: the dedup scripts' and BullMQ's alike.
  ['Redis replies', /\bioredis$/],
  [
    'rows and insert',
    /(usage-rows|bandwidth-rows|meter-sink|clickhouse-sink|activity-sink)|clickhouse/,
  ],
  ['BullMQ', /\b(bullmq|msgpackr)$/],
  ['garbage collection', /\(garbage collector\)/],
  ['idle', /\(idle\)/],
]

/** Where a call frame lives, shortened to the package or project path. */
function place(url: string): string {
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length)
  const project = url.search(/\/(src|workers|test|api)\//)
  return project >= 0 ? url.slice(project + 1) : url || '(native)'
}

/** A package's name (`zod`, `@clickhouse/client`), or the project file itself. */
function fileOf(frame: CallFrame): string {
  const where = place(frame.url)
  if (!frame.url.includes('node_modules/')) return where
  return where
    .split('/')
    .slice(0, where.startsWith('@') ? 2 : 1)
    .join('/')
}

function nameOf(frame: CallFrame): string {
  const line = frame.url ? `:${frame.lineNumber + 1}` : ''
  return `${frame.functionName || '(anonymous)'} ${place(frame.url)}${line}`
}

const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
const byProductFrame = new Map<string, number>()
const byStep = new Map<string, number>()
let total = 0

const add = (table: Map<string, number>, key: string, us: number) =>
  table.set(key, (table.get(key) ?? 0) + us)

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parentOf = new Map<number, number>()
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id)
  }

  /** The nearest product frame at or above a node, or the node's own package. */
  const owners = new Map<number, string>()
  const ownerOf = (id: number): string => {
    const known = owners.get(id)
    if (known !== undefined) return known
    let owner: string | undefined
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = (byId.get(at) as ProfileNode).callFrame
      if (frame.url === 'node:inspector') {
        owner = profilerItself
        break
      }
      if (productCode.test(frame.url)) {
        owner = nameOf(frame)
        break
      }
    }
    const own = (byId.get(id) as ProfileNode).callFrame
    const result = owner ?? `outside product code: ${own.url ? fileOf(own) : nameOf(own)}`
    owners.set(id, result)
    return result
  }

  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    const frame = (byId.get(id) as ProfileNode).callFrame
    // Stopping the profiler (serialising the profile) is not the worker's time.
    if (ownerOf(id) === profilerItself) return
    add(byFunction, nameOf(frame), us)
    add(byFile, fileOf(frame), us)
    const owner = ownerOf(id)
    add(byProductFrame, owner, us)
    add(byStep, steps.find(([, pattern]) => pattern.test(owner))?.[0] ?? 'other', us)
    total += us
  })
}

function print(title: string, table: Map<string, number>, rows: number): void {
  console.log(`${title} (total ${(total / 1_000).toFixed(0)} ms)`)
  const sorted = [...table].sort((a, b) => b[1] - a[1]).slice(0, rows)
  for (const [name, us] of sorted) {
    const share = ((us / total) * 100).toFixed(1).padStart(5)
    const unit = per === undefined ? '' : `${(us / per).toFixed(3).padStart(8)} µs/unit  `
    console.log(`  ${share}%  ${(us / 1_000).toFixed(1).padStart(8)} ms  ${unit}${name}`)
  }
}

print('self time by function', byFunction, top)
print('self time by package or project file', byFile, 20)
print('time under the nearest product function', byProductFrame, top)
print('time by step of the metering worker', byStep, steps.length + 1)
