import {Agent as HttpAgent, type AgentOptions, type ClientRequest} from 'node:http'
import type {Agent as HttpsAgent} from 'node:https'

import {HttpsProxyAgent} from 'hpagent'

/**
 * Agents for got that send requests through a proxy. Loaded with got on the first request, so that
 * commands that never touch the network never load hpagent.
 *
 * https targets tunnel through CONNECT (hpagent), so TLS runs end to end with the server and
 * NODE_EXTRA_CA_CERTS applies as usual (no `ca` is ever passed). http targets are sent in absolute
 * form (`GET http://host/path`), the way forward proxies expect plain http: hpagent's HttpProxyAgent
 * would CONNECT instead, which common proxy set-ups (squid's default SSL_ports rule) refuse for
 * ports other than 443.
 */
export interface ProxyAgents {
  http?: HttpAgent
  https?: HttpsAgent
}

export function proxyAgentsFor(target: URL, proxy: URL): ProxyAgents {
  if (target.protocol === 'https:') return {https: new HttpsProxyAgent({keepAlive: true, proxy})}
  return {http: new ForwardingProxyAgent(proxy, {keepAlive: true})}
}

// `addRequest` is how http.Agent receives each request; @types/node does not declare it.
interface AgentInternals {
  addRequest(request: ClientRequest, options: Record<string, unknown>): void
}

class ForwardingProxyAgent extends HttpAgent {
  readonly #proxy: URL
  readonly #authorization: string | undefined

  constructor(proxy: URL, options: AgentOptions) {
    super(options)
    this.#proxy = proxy
    this.#authorization =
      proxy.username || proxy.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
        : undefined
  }

  // Runs before the request line is written, so the path can still become the absolute URI; the
  // socket then goes to the proxy instead of the target (the Host header still names the target).
  addRequest(request: ClientRequest, options: Record<string, unknown>): void {
    request.path = `http://${String(request.getHeader('host'))}${request.path}`
    if (this.#authorization) request.setHeader('proxy-authorization', this.#authorization)
    const proxyHost = this.#proxy.hostname.replace(/^\[(.*)\]$/, '$1')
    const proxyPort = Number(this.#proxy.port || 80)
    const base = HttpAgent.prototype as unknown as AgentInternals
    base.addRequest.call(this, request, {...options, host: proxyHost, hostname: proxyHost, port: proxyPort})
  }
}
