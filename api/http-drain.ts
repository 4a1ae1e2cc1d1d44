import type { Server, ServerResponse } from 'node:http'
import type { Logger } from '../src/logger.js'

export interface HttpDrain {
  /**
   * Stops accepting connections, lets the requests in flight finish within
   * `deadlineMs`, and resolves once every connection is closed. Requests
   * still running at the deadline have their connections cut.
   */
  drain(deadlineMs: number): Promise<{ cut: number }>
}

/**
 * Follows the requests of `server` so that it can stop without failing any
 * of them: a load balancer stops sending new ones while those in flight
 * still reach the stores, which close only after this resolves.
 *
 * `server.close()` alone waits for every keep-alive socket, idle or not, and
 * an idle one may stay open for the whole keep-alive timeout; so idle sockets
 * are closed at once, and each response finished while draining says
 * `Connection: close` and lets its socket go.
 */
export function trackHttpRequests(server: Server, log: Logger): HttpDrain {
  const inFlight = new Set<ServerResponse>()
  let draining = false

  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res)
    if (draining) res.setHeader('connection', 'close')
    res.once('close', () => {
      inFlight.delete(res)
      // The socket counts as idle only once the response is done with it.
      if (draining) setImmediate(() => server.closeIdleConnections())
    })
  })

  return {
    drain(deadlineMs) {
      draining = true
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
      log.info({ in_flight: inFlight.size, deadline_ms: deadlineMs }, 'http draining')

      return new Promise((resolve) => {
        let cut = 0
        const deadline = setTimeout(() => {
          cut = inFlight.size
          log.warn({ in_flight: cut }, 'http drain deadline passed; cutting connections')
          server.closeAllConnections()
        }, deadlineMs)

        server.close(() => {
          clearTimeout(deadline)
          log.info({ cut }, 'http drained')
          resolve({ cut })
        })
        server.closeIdleConnections()
      })
    },
  }
}
