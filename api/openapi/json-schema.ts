import type { z } from 'zod'
import { inputSchema, type JsonSchema } from '../../src/json-schema.js'

export { inputSchema, type JsonSchema }

/** An OpenAPI parameter object. */
export interface Parameter {
  name: string
  in: 'query' | 'path'
  required: boolean
  description: string
  schema: JsonSchema
}

/**
 * One `in: query` parameter per property of a query schema. Every property
 * needs a description and every description a property, so a parameter
 * added to a schema cannot go undocumented.
 */
export function queryParameters(
  schema: z.ZodType,
  descriptions: Record<string, string>,
): Parameter[] {
  const json = inputSchema(schema)
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((json.required ?? []) as string[])

  const undocumented = Object.keys(properties).filter((name) => !(name in descriptions))
  const unknown = Object.keys(descriptions).filter((name) => !(name in properties))
  if (undocumented.length > 0 || unknown.length > 0) {
    const problems = [
      ...undocumented.map((n) => `${n} undocumented`),
      ...unknown.map((n) => `${n} unknown`),
    ]
    throw new Error(`Query parameters do not match their descriptions: ${problems.join(', ')}`)
  }

  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    description: descriptions[name] as string,
    schema: property,
  }))
}
