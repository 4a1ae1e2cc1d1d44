/*
 * ClickHouse's HTTP interface as the chDB HTTP server reads it: the request's
 * statement, bound parameters and settings, and errors written back the way
 * `@clickhouse/client` parses them.
 */

/** A request as the engine runs it, after the HTTP layer is peeled off. */
export interface EngineRequest {
  sql: string
  params: Record<string, string | null>
  settings: [string, string][]
  database: string | undefined
  format: string
  /** chDB refuses an insert without rows; ClickHouse accepts it as a no-op. */
  emptyInsert: boolean
}

/** URL parameters that steer the HTTP layer and are not engine settings. */
const httpOnlyParams = new Set([
  'query',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'default_format',
  'database',
  'user',
  'password',
  'quota_key',
  'role',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_native_compression_disable_checksumming_on_decompress',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
  'compress',
  'decompress',
])

const settingName = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Peels the HTTP layer off: the statement comes from `query` and/or the body
 * (an insert's rows follow its statement after a newline), `param_*` become
 * bound parameters and any other parameter is a setting for this request.
 */
export function toEngineRequest(
  search: URLSearchParams,
  body: string,
  contentType: string | undefined,
): EngineRequest {
  if (contentType?.startsWith('multipart/')) {
    throw new EngineRequestError(400, 48, 'NOT_IMPLEMENTED', 'multipart parameters')
  }
  for (const name of ['compress', 'decompress']) {
    if (search.get(name) === '1') {
      throw new EngineRequestError(400, 48, 'NOT_IMPLEMENTED', `${name}=1 (native compression)`)
    }
  }

  const query = search.get('query')
  const sql = query === null ? body : body.length > 0 ? `${query}\n${body}` : query
  if (sql.trim().length === 0) throw new EngineRequestError(400, 62, 'SYNTAX_ERROR', 'Empty query')

  const declaredTypes = new Map<string, string>()
  for (const [, name, type] of sql.matchAll(/\{\s*(\w+)\s*:\s*([^{}]+?)\s*\}/g)) {
    if (name && type) declaredTypes.set(name, type)
  }

  const params: Record<string, string | null> = {}
  const settings: [string, string][] = []
  for (const [key, value] of search) {
    if (key.startsWith('param_')) {
      const name = key.slice('param_'.length)
      params[name] = bindParameter(name, value, declaredTypes.get(name))
    } else if (!httpOnlyParams.has(key)) {
      if (!settingName.test(key)) {
        throw new EngineRequestError(400, 115, 'UNKNOWN_SETTING', `bad setting name ${key}`)
      }
      settings.push([key, value])
    }
  }

  const database = search.get('database') || undefined
  if (database !== undefined && !settingName.test(database)) {
    throw new EngineRequestError(400, 81, 'UNKNOWN_DATABASE', `bad database name ${database}`)
  }
  const format = search.get('default_format') || 'TabSeparated'
  const emptyInsert =
    query !== null && body.trim() === '' && /^\s*INSERT\b[\s\S]*\bFORMAT\s+\w+\s*$/i.test(query)
  return { sql, params, settings, database, format, emptyInsert }
}

/** A request refused before or by the engine, answered the way ClickHouse answers. */
export class EngineRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message)
  }
}

/** STD_EXCEPTION: a failure that did not come from the engine's own checks. */
export const unexpectedFailureCode = 1001

/** The status, numeric code and `Code: N. DB::Exception: …` text for a failed request. */
export function engineFailure(err: unknown): { status: number; code: number; text: string } {
  if (err instanceof EngineRequestError) {
    const text = `Code: ${err.code}. DB::Exception: ${err.message}. (${err.type})`
    return { status: err.status, code: err.code, text }
  }

  const message = err instanceof Error ? err.message : String(err)
  const engineCode = (err as { clickhouseCode?: unknown } | null)?.clickhouseCode
  const code =
    typeof engineCode === 'number' ? engineCode : Number(/^Code: (\d+)\./.exec(message)?.[1])
  if (Number.isInteger(code) && message.includes('DB::Exception')) {
    return { status: 500, code, text: message }
  }
  const text = `Code: ${unexpectedFailureCode}. DB::Exception: ${message}. (STD_EXCEPTION)`
  return { status: 500, code: unexpectedFailureCode, text }
}

/**
 * Parameter values arrive as ClickHouse's HTTP interface takes them: text in
 * the escaped format. chDB's binder escapes every string it is given, so a
 * scalar is handed over unescaped (the engine then reads back the same
 * value); composite literals (arrays, tuples, maps) are read by the engine
 * without an unescaping step, so they pass through only when they contain
 * no backslash and are refused otherwise rather than bound wrongly.
 */
function bindParameter(name: string, raw: string, type: string | undefined): string | null {
  if (raw === '\\N') return null
  if (!raw.includes('\\')) return raw
  if (type !== undefined && !isCompositeType(type)) return unescapeText(raw)

  throw new EngineRequestError(
    400,
    457,
    'BAD_QUERY_PARAMETER',
    `parameter ${name}: backslash escapes are supported in scalar parameters only`,
  )
}

function isCompositeType(type: string): boolean {
  let inner = type.trim()
  for (let wrapped = /^(Nullable|LowCardinality)\((.*)\)$/s.exec(inner); wrapped; ) {
    inner = (wrapped[2] ?? '').trim()
    wrapped = /^(Nullable|LowCardinality)\((.*)\)$/s.exec(inner)
  }
  return /^(Array|Tuple|Map|Nested|Variant|Dynamic|JSON|Object)\b/i.test(inner)
}

const escapes: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  '0': '\0',
  a: '\x07',
  v: '\v',
  e: '\x1b',
}

/** Decodes ClickHouse's escaped text format: `\\x` is `x` unless `x` names a control character. */
function unescapeText(raw: string): string {
  return raw.replace(/\\(x[0-9A-Fa-f]{2}|[\s\S])/g, (_, escaped: string) => {
    if (escaped.length === 3) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16))
    return escapes[escaped] ?? escaped
  })
}
