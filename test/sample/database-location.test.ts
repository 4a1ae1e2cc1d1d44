import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import { loadConfig } from '../../src/config.js'
import { locateDatabase, NoDatabaseError } from '../../src/sample/database-location.js'

const withDataDir = async (work: (dir: string) => Promise<void>) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nukevideo-sample-'))
  try {
    await work(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('DATABASE_URL is used when set, even with embedded.json present', async (t) => {
  await withDataDir(async (dir) => {
    const embedded = { databaseUrl: 'postgres://postgres@127.0.0.1:5999/embedded' }
    await writeFile(path.join(dir, 'embedded.json'), JSON.stringify(embedded))
    const config = loadConfig({ DATA_DIR: dir, DATABASE_URL: 'postgres://u@127.0.0.1:5432/app' })

    t.is(await locateDatabase(config), 'postgres://u@127.0.0.1:5432/app')
  })
})

test('without DATABASE_URL the URL written by a running dev command is used', async (t) => {
  await withDataDir(async (dir) => {
    const embedded = { databaseUrl: 'postgres://postgres@127.0.0.1:5999/embedded' }
    await writeFile(path.join(dir, 'embedded.json'), JSON.stringify(embedded))

    t.is(await locateDatabase(loadConfig({ DATA_DIR: dir })), embedded.databaseUrl)
  })
})

test('with neither, the error tells the user to start npm run dev', async (t) => {
  await withDataDir(async (dir) => {
    const error = await t.throwsAsync(locateDatabase(loadConfig({ DATA_DIR: dir })), {
      instanceOf: NoDatabaseError,
    })
    t.regex(error?.message ?? '', /DATABASE_URL is not set.*Start `npm run dev`/)

    await writeFile(path.join(dir, 'embedded.json'), 'not json')
    await t.throwsAsync(locateDatabase(loadConfig({ DATA_DIR: dir })), {
      instanceOf: NoDatabaseError,
      message: /restart `npm run dev`/,
    })
  })
})
