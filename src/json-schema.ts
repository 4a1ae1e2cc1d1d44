import { z } from 'zod'
import { dayParam } from './time/day-param.js'

/**
 * zod schemas as JSON Schema (2020-12, the dialect of OpenAPI 3.1), for the
 * API's OpenAPI document and the metering job contract alike.
 */

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = Record<string, unknown>

type OverrideContext = { zodSchema: z.core.$ZodType; jsonSchema: z.core.JSONSchema.BaseSchema }

interface CheckDef {
  check?: string
  format?: string
  pattern?: RegExp
}

/**
 * Rewrites a regular expression's source so it matches without the `i` flag
 * what it matched with it: JSON Schema patterns carry no flags, and a pattern
 * copied as is would tell clients that `01hzx…` is not a ULID when it is.
 */
export function caseInsensitivePattern(source: string): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string
    if (char === '\\') {
      out += char + (source[i + 1] ?? '')
      i++
    } else if (char === '[' || char === ']') {
      inClass = char === '['
      out += char
    } else if (!/[a-z]/i.test(char)) {
      out += char
    } else if (inClass && source[i + 1] === '-' && /[a-z]/i.test(source[i + 2] ?? '')) {
      const range = `${char}-${source[i + 2]}`
      out += range.toLowerCase() + range.toUpperCase()
      i += 2
    } else {
      const both = char.toLowerCase() + char.toUpperCase()
      out += inClass ? both : `[${both}]`
    }
  }
  return out
}

/**
 * Restores what zod's converter cannot see: a query day is a real date, an
 * input piped into `z.email()` is an e-mail, a case-insensitive pattern
 * accepts both cases.
 */
function override({ zodSchema, jsonSchema }: OverrideContext): void {
  const def = zodSchema._zod.def as z.core.$ZodTypeDef & { checks?: { _zod: { def: CheckDef } }[] }

  if (zodSchema === dayParam) {
    jsonSchema.format = 'date'
    jsonSchema.pattern = '^\\d{4}-\\d{2}-\\d{2}$'
  }

  if (def.type === 'pipe') {
    const out = (def as z.core.$ZodPipeDef).out._zod.def as CheckDef & { type: string }
    if (out.type === 'string' && out.format && !jsonSchema.format) jsonSchema.format = out.format
  }

  for (const check of def.checks ?? []) {
    const { format, pattern } = check._zod.def
    if (
      format === 'regex' &&
      pattern?.flags.includes('i') &&
      jsonSchema.pattern === pattern.source
    ) {
      jsonSchema.pattern = caseInsensitivePattern(pattern.source)
    }
  }
}

/** The JSON Schema of what a zod schema accepts as input, ready to embed in the document. */
export function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override,
  }) as JsonSchema
  return json
}
