import { existsSync, readFileSync } from 'node:fs'
import test from 'ava'
import { CONFIG_VARIABLES } from '../../src/config.js'

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

const entryPoints = {
  release: 'node dist/src/release.js',
  web: 'node dist/api/main.js',
  worker: 'node dist/workers/metering/main.js',
}

/**
 * The keys of a YAML file by their path of parents (`services.web.command`),
 * each with the text after its colon, for the plain block style
 * docker-compose.yml is written in. Enough to read it here; not a YAML parser.
 */
function yamlKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>()
  const parents: { indent: number; key: string }[] = []
  for (const line of text.split('\n')) {
    const match = /^( *)([\w<.-]+):(.*)$/.exec(line)
    if (!match || line.trimStart().startsWith('#')) continue

    const indent = (match[1] as string).length
    while (parents.length > 0 && (parents.at(-1) as { indent: number }).indent >= indent) {
      parents.pop()
    }
    const key = [...parents.map((parent) => parent.key), match[2]].join('.')
    keys.set(key, (match[3] as string).trim())
    parents.push({ indent, key: match[2] as string })
  }
  return keys
}

const compose = yamlKeys(read('docker-compose.yml'))

test('the Procfile runs the compiled entry points the package scripts name', (t) => {
  const procfile = Object.fromEntries(
    read('Procfile')
      .trim()
      .split('\n')
      .map((line) => line.split(/: +/, 2)),
  )
  const { scripts } = JSON.parse(read('package.json'))

  t.deepEqual(procfile, entryPoints)
  t.deepEqual({ release: scripts.release, web: scripts.web, worker: scripts.worker }, entryPoints)
})

test('each compiled entry point is where tsc puts its source', (t) => {
  const { compilerOptions, include } = JSON.parse(read('tsconfig.json'))
  t.like(compilerOptions, { outDir: 'dist', rootDir: '.' })

  for (const command of Object.values(entryPoints)) {
    const source = command.replace(/^node dist\//, '').replace(/\.js$/, '.ts')
    t.true(existsSync(new URL(`../../${source}`, import.meta.url)), source)
    t.true(
      include.some((dir: string) => source.startsWith(`${dir}/`)),
      `${source} is compiled`,
    )
  }
})

test('the image builds every source directory and runs web; compose runs the same', (t) => {
  const dockerfile = read('Dockerfile')
  const { include } = JSON.parse(read('tsconfig.json'))
  for (const dir of include as string[])
    t.regex(dockerfile, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'))
  t.regex(dockerfile, /^RUN npm run build$/m)
  t.regex(dockerfile, /^CMD \["node", "dist\/api\/main\.js"\]$/m)
  t.regex(dockerfile, /^EXPOSE 3000$/m)

  for (const [name, command] of Object.entries(entryPoints)) {
    const [node, file] = command.split(' ')
    t.is(compose.get(`services.${name}.command`), `["${node}", "${file}"]`, name)
  }
  t.is(compose.get('services.web.environment.PORT'), '"3000"')
  t.regex(read('docker-compose.yml'), /^ {6}- "3000:3000"$/m)
})

test('every variable compose sets for the app is one the configuration reads', (t) => {
  const owners = ['x-app', 'services.release', 'services.web', 'services.worker']
  const set = [...compose.keys()]
    .filter((key) => owners.some((owner) => key.startsWith(`${owner}.environment.`)))
    .map((key) => key.split('.').at(-1) as string)
    .filter((name) => name !== '<<')

  t.true(set.length >= 10)
  t.deepEqual(
    set.filter((name) => !(CONFIG_VARIABLES as string[]).includes(name)),
    [],
  )
})

test('every service has a health check or runs once, and keeps its data in a named volume', (t) => {
  const services = [...compose.keys()]
    .filter((key) => /^services\.[\w-]+$/.test(key))
    .map((key) => key.split('.')[1] as string)
  t.deepEqual(services, ['postgres', 'redis', 'clickhouse', 'release', 'web', 'worker'])

  for (const name of services) {
    const once = compose.get(`services.${name}.restart`) === '"no"'
    t.true(once || compose.has(`services.${name}.healthcheck.test`), name)
  }
  const text = read('docker-compose.yml')
  // PostgreSQL 18 and later declare /var/lib/postgresql itself as the volume.
  t.regex(text, /^ {6}- postgres-data:\/var\/lib\/postgresql$/m)
  t.regex(text, /^ {6}- redis-data:\/data$/m)
  t.regex(text, /^ {6}- clickhouse-data:\/var\/lib\/clickhouse$/m)
  t.deepEqual(
    [...compose.keys()].filter((key) => key.startsWith('volumes.')),
    [
      'volumes.postgres-data',
      'volumes.redis-data',
      'volumes.clickhouse-data',
      'volumes.clickhouse-logs',
    ],
  )
})

test('.env.example lists exactly the variables the configuration reads', (t) => {
  const listed = read('.env.example')
    .split('\n')
    .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => line.split('=')[0])
  t.deepEqual([...listed].sort(), [...CONFIG_VARIABLES].sort())
})
