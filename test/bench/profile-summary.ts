/**
 * The functions with the most self time in a V8 `.cpuprofile`, and the same
 * summed by file, so a hot path reads at a glance.
 *
 *   npx tsx test/bench/profile-summary.ts worker.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
})
const file = positionals[0]
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N]')
const top = Number(values.top)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})

/** Where a call frame lives, shortened to the package or project path. */
function place(url: string): string {
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length)
  const project = url.search(/\/(src|workers|test|api)\//)
  return project >= 0 ? url.slice(project + 1) : url || '(native)'
}

/** A package's name (`zod`, `@clickhouse/client`), or the project file itself. */
function fileOf(url: string, where: string): string {
  if (!url.includes('node_modules/')) return where
  return where
    .split('/')
    .slice(0, where.startsWith('@') ? 2 : 1)
    .join('/')
}

const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
let total = 0
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame
  const where = place(url)
  const name = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  const fileKey = fileOf(url, where)
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us)
  total += us
}

function print(title: string, table: Map<string, number>, rows: number): void {
  console.log(`${title} (total ${(total / 1_000).toFixed(0)} ms)`)
  const sorted = [...table].sort((a, b) => b[1] - a[1]).slice(0, rows)
  for (const [name, us] of sorted) {
    const share = ((us / total) * 100).toFixed(1).padStart(5)
    console.log(`  ${share}%  ${(us / 1_000).toFixed(1).padStart(8)} ms  ${name}`)
  }
}

print('self time by function', byFunction, top)
print('self time by package or project file', byFile, 20)
