import http, {type IncomingHttpHeaders} from 'node:http'
import net, {type AddressInfo} from 'node:net'

/** What the proxy was asked to do. */
export interface ProxiedRequest {
  /** `CONNECT` for tunnels, otherwise the forwarded method. */
  method: string
  /** `host:port` for CONNECT, the absolute URI for forwarded requests. */
  target: string
  headers: IncomingHttpHeaders
}

export interface ConnectProxy {
  url: string
  seen: ProxiedRequest[]
  close(): Promise<void>
}

/**
 * A small real forward proxy on loopback: CONNECT tunnels for https targets, absolute-URI
 * forwarding for plain http. It records every request. With `refuseWith`, it answers every request
 * with that status instead (a proxy that demands authentication, say).
 */
export async function startConnectProxy(options: {refuseWith?: number} = {}): Promise<ConnectProxy> {
  const seen: ProxiedRequest[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((request, response) => {
    seen.push({headers: request.headers, method: request.method ?? '', target: request.url ?? ''})
    if (options.refuseWith || !/^http:\/\//.test(request.url ?? '')) {
      response.writeHead(options.refuseWith ?? 400).end()
      return
    }

    const target = new URL(request.url!)
    const upstream = http.request(
      {headers: request.headers, host: target.hostname, method: request.method, path: `${target.pathname}${target.search}`, port: target.port},
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    upstream.on('error', () => response.writeHead(502).end())
    request.pipe(upstream)
  })

  server.on('connect', (request, client: net.Socket, head: Buffer) => {
    seen.push({headers: request.headers, method: 'CONNECT', target: request.url ?? ''})
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (options.refuseWith) {
      client.end(`HTTP/1.1 ${options.refuseWith} Refused\r\ncontent-length: 0\r\n\r\n`)
      return
    }

    const [host, port] = splitHostPort(request.url ?? '')
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    seen,
    url: `http://127.0.0.1:${port}`,
  }
}

function splitHostPort(authority: string): [string, number] {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority)
  if (!match) return [authority, 443]
  return [match[1], Number(match[2])]
}
