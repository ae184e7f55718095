import http, {type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'

/** One request as the server saw it. */
export interface SeenRequest {
  method: string
  /** Request target as sent (path and query). */
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export type ScriptedHandler = (request: SeenRequest, response: ServerResponse, index: number) => unknown

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` (or https://localhost:<port> for TLS servers). */
  url: string
  port: number
  requests: SeenRequest[]
  close(): Promise<void>
}

/**
 * A real HTTP(S) server on loopback whose answers a test scripts request by request, recording
 * everything it receives. `index` counts requests from 0, so a handler can fail the first N.
 */
export async function startScriptedServer(
  handler: ScriptedHandler,
  options: {tls?: {key: string; cert: string}} = {},
): Promise<ScriptedServer> {
  const requests: SeenRequest[] = []
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const seen = {body: Buffer.concat(chunks).toString('utf8'), headers: request.headers, method: request.method ?? '', url: request.url ?? ''}
      requests.push(seen)
      Promise.resolve(handler(seen, response, requests.length - 1)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)))
      })
    })
  }

  const server = options.tls ? https.createServer({cert: options.tls.cert, key: options.tls.key}, listener) : http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  // The test certificate names localhost; plain servers are addressed by IP.
  const host = options.tls ? 'localhost' : '127.0.0.1'
  return {
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    port,
    requests,
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
  }
}

/** Answers JSON with the given status and extra headers. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {'content-length': Buffer.byteLength(text), 'content-type': 'application/json', ...headers})
  response.end(text)
}

/**
 * For a test file: `serve(handler)` starts a scripted server that is closed after each test. Call at
 * the top level of the file (it registers an afterEach hook).
 */
export function scriptedServers(): (handler: ScriptedHandler) => Promise<ScriptedServer> {
  const servers: ScriptedServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  return async (handler) => {
    const server = await startScriptedServer(handler)
    servers.push(server)
    return server
  }
}
