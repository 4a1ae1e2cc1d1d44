import { z } from 'zod'

// A field that is absent says so in the words every other message uses, in
// every schema of the product, instead of "expected string, received undefined".
z.config({
  customError: (issue) => (issue.input === undefined ? 'is required' : undefined),
})

/** Field path → messages, the shape of every 422 body and start-up config error. */
export type FieldErrors = Record<string, string[]>

/** Flattens every issue of a failed parse into messages keyed by the field they name. */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldErrors {
  const errors: FieldErrors = {}
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors[prefix + [...issue.path, key].join('.')] = ['is not a known field']
      }
      continue
    }
    const field = prefix + (issue.path.length > 0 ? issue.path.join('.') : '')
    const key = field === '' ? '_' : field
    errors[key] ??= []
    errors[key].push(issue.message)
  }
  return errors
}

/** One line naming each field and its problems, for logs and dead letters. */
export function describeFieldErrors(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, messages]) => `${field}: ${messages.join('; ')}`)
    .join(', ')
}
