import test from 'ava'
import { pageMeta, pageQuerySchema, pageWindow } from '../../api/pagination.js'

test('no parameters mean page 1 of 15', (t) => {
  t.deepEqual(pageQuerySchema.parse({}), { page: 1, per_page: 15 })
})

test('the window skips the earlier pages', (t) => {
  t.deepEqual(pageWindow({ page: 1, per_page: 15 }), { offset: 0, limit: 15 })
  t.deepEqual(pageWindow({ page: 4, per_page: 25 }), { offset: 75, limit: 25 })
})

test('last_page rounds up and is 1 for an empty list', (t) => {
  t.deepEqual(pageMeta({ page: 1, per_page: 15 }, 0), {
    current_page: 1,
    last_page: 1,
    per_page: 15,
    total: 0,
  })
  t.is(pageMeta({ page: 1, per_page: 15 }, 15).last_page, 1)
  t.is(pageMeta({ page: 1, per_page: 15 }, 16).last_page, 2)
})
