/** The load generator in a process of its own: a LoadRun as JSON in, LoadFigures as JSON out. */
import { fireInProcess, type LoadRun } from './load-generator.js'

const run = JSON.parse(process.argv[2] ?? '') as LoadRun
console.log(JSON.stringify(await fireInProcess(run)))
