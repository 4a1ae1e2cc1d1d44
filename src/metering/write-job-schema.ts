import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { JOB_SCHEMA_PATH, meteringJobSchemaText } from './job-schema.js'

/**
 * `npm run job-schema` rewrites the committed job contract from the zod
 * schemas; `npm run job-schema -- --check` only says whether it is current.
 */
const file = fileURLToPath(new URL(`../../${JOB_SCHEMA_PATH}`, import.meta.url))
const generated = meteringJobSchemaText()

if (process.argv.includes('--check')) {
  const committed = readFileSync(file, 'utf8')
  if (committed !== generated) {
    console.error(`${JOB_SCHEMA_PATH} is stale: run npm run job-schema`)
    process.exit(1)
  }
  console.log(`${JOB_SCHEMA_PATH} is current`)
} else {
  writeFileSync(file, generated)
  console.log(`wrote ${JOB_SCHEMA_PATH}`)
}
