import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { Logger } from '../logger.js'

export interface MetricsServer {
  /** The port it listens on (useful when asked for port 0 in tests). */
  port: number
  close(): Promise<void>
}

/**
 * Serves `GET /metrics` from a registry on a port of its own, without
 * authentication: it is meant for loopback or a private network, which is why
 * the worker binds it to 127.0.0.1 unless told otherwise.
 */
export async function startMetricsServer(
  registry: Registry,
  listen: { port: number; host: string },
  log: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n')
      return
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed')
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Server Error\n')
      },
    )
  })
  server.listen(listen.port, listen.host)
  await once(server, 'listening')

  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}
