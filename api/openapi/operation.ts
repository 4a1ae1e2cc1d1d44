import type { JsonSchema, Parameter } from './json-schema.js'

/** What one route documents; `operation` turns it into an OpenAPI operation. */
export interface OperationSpec {
  operationId: string
  summary: string
  description?: string
  tag: string
  /** Callable without a bearer token. */
  public?: boolean
  parameters?: Parameter[]
  /** The JSON request body; its routes also answer 400, 413 and 415. */
  body?: JsonSchema
  /** The success status and, unless it is 204, its body (JSON unless `contentType` says). */
  success: { status: number; description: string; schema?: JsonSchema; contentType?: string }
  /** Error statuses the route answers beyond those its body and token imply. */
  errors: number[]
}

/** A `$ref` to the shared error response of a status. */
export const errorResponseRef = (status: number) => ({
  $ref: `#/components/responses/Error${status}`,
})

/** The OpenAPI operation of a route, with the error statuses it really answers. */
export function operation(spec: OperationSpec): JsonSchema {
  const { status, description, schema, contentType = 'application/json' } = spec.success
  const statuses = new Set(spec.errors)
  if (!spec.public) statuses.add(401)
  if (spec.body) for (const bodyStatus of [400, 413, 415]) statuses.add(bodyStatus)

  const responses: Record<string, JsonSchema> = {
    [status]: schema ? { description, content: { [contentType]: { schema } } } : { description },
  }
  for (const errorStatus of [...statuses].sort((a, b) => a - b)) {
    responses[errorStatus] = errorResponseRef(errorStatus)
  }

  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(spec.public ? { security: [] } : {}),
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: spec.body } } } }
      : {}),
    responses,
  }
}

/** `{ data: <schema> }`, the envelope of every success body. */
export const dataOf = (schema: JsonSchema, extra: Record<string, JsonSchema> = {}) => ({
  type: 'object',
  properties: { data: schema, ...extra },
  required: ['data', ...Object.keys(extra)],
  additionalProperties: false,
})
