import test from 'ava'
import { analyticsQuerySchema } from '../../src/analytics/analytics-query.js'
import { fieldErrors } from '../../src/validation.js'

function problems(input: Record<string, string>) {
  const parsed = analyticsQuerySchema.safeParse(input)
  return parsed.success ? null : fieldErrors(parsed.error)
}

test('a range and a user id parse; the user id becomes a number', (t) => {
  t.deepEqual(analyticsQuerySchema.parse({ from: '2028-02-29', to: '2028-02-29', user_id: '42' }), {
    from: '2028-02-29',
    to: '2028-02-29',
    user_id: 42,
  })
  t.deepEqual(analyticsQuerySchema.parse({ from: '2028-01-01', to: '2028-12-31' }), {
    from: '2028-01-01',
    to: '2028-12-31',
  })
})

test('the largest safe integer is a user id; anything past it or not plain digits is not', (t) => {
  const query = { from: '2028-01-01', to: '2028-01-01' }
  t.is(analyticsQuerySchema.parse({ ...query, user_id: '9007199254740991' }).user_id, 2 ** 53 - 1)

  for (const userId of ['9007199254740992', '0', '-3', '3.0', '0x10', '٣', '1 ']) {
    t.deepEqual(problems({ ...query, user_id: userId }), {
      user_id: ['must be a positive integer'],
    })
  }
})

test('every problem is reported at once, each under its field', (t) => {
  t.deepEqual(problems({ from: '2026-02-29', to: 'tomorrow', user_id: 'me', page: '2' }), {
    from: ['must be a real date written YYYY-MM-DD'],
    to: ['must be a real date written YYYY-MM-DD'],
    user_id: ['must be a positive integer'],
    page: ['is not a known field'],
  })
})

test('a range is at most 400 days, both ends counted, and never backwards', (t) => {
  t.is(problems({ from: '2027-01-01', to: '2028-02-04' }), null)
  t.deepEqual(problems({ from: '2027-01-01', to: '2028-02-05' }), {
    from: ['must be at most 400 days before to'],
  })
  t.deepEqual(problems({ from: '2028-03-01', to: '2028-02-29' }), {
    from: ['must not be after to'],
  })
})
