/**
 * What PostgreSQL can store as text and jsonb. It refuses NUL characters and
 * unpaired surrogates (node-postgres would rewrite them on the way), and deep
 * nesting costs a stack frame a level wherever it is walked; one bad value in
 * a batch would fail the insert of every entry with it.
 */

const unpairedSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Deepest nesting a JSON value may have. */
export const MAX_JSON_DEPTH = 32

export const storableTextRule = 'must not contain NUL characters or unpaired surrogates'
export const nestingRule = `must nest at most ${MAX_JSON_DEPTH} levels`

export function isStorableString(text: string): boolean {
  return !text.includes('\0') && !unpairedSurrogate.test(text)
}

/**
 * Why a JSON value cannot be stored, or undefined when it can. Walks the
 * value without recursion, so no depth of nesting can overflow the stack.
 */
export function storableJsonProblem(value: unknown): string | undefined {
  const pending: [unknown, number][] = [[value, 0]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next
    if (typeof item === 'string') {
      if (!isStorableString(item)) return storableTextRule
      continue
    }
    if (typeof item !== 'object' || item === null) continue
    if (depth >= MAX_JSON_DEPTH) return nestingRule

    for (const [key, inner] of Object.entries(item)) {
      if (!isStorableString(key)) return storableTextRule
      pending.push([inner, depth + 1])
    }
  }
  return undefined
}
