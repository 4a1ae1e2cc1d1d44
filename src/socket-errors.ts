/**
 * Codes Node gives a socket that could not reach its peer or lost it: the
 * store is away for now, not the request at fault.
 */
const transientSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
])

export function isTransientSocketCode(code: unknown): boolean {
  return typeof code === 'string' && transientSocketCodes.has(code)
}
