import {BlockList, isIP} from 'node:net'

import {DifyError} from '../errors/dify-error.js'
import type {Env} from '../io/system.js'

/**
 * Proxy choice from the environment, decided here because got ignores the proxy variables.
 *
 * - https targets use `https_proxy`/`HTTPS_PROXY`, http targets `http_proxy`/`HTTP_PROXY`. When both
 *   spellings are set the lower-case one wins, as in curl; an empty value counts as unset. There is
 *   no ALL_PROXY fallback: it is mostly used for SOCKS proxies, which are not supported.
 * - `no_proxy`/`NO_PROXY` (lower case first again) is a comma- or space-separated list: `*`, a host
 *   name matching itself and its subdomains (`example.com`, `.example.com` and `*.example.com` all
 *   match `api.example.com`), IPv4 and IPv6 literals (IPv6 optionally bracketed), CIDR ranges, each
 *   optionally with `:port`. Loopback is not bypassed implicitly, like curl: list it when needed.
 * - A proxy URL without a scheme means http://, as curl reads it.
 */
export interface ProxyChoice {
  /** The proxy to connect to. */
  proxy: URL
  /** The variable it came from, for messages. */
  variable: string
}

export function chooseProxy(target: URL, env: Env): ProxyChoice | undefined {
  const secure = target.protocol === 'https:'
  const setting = firstSet(env, secure ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'])
  if (!setting) return undefined
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY'])
  if (noProxy && bypassesProxy(noProxy.value, target)) return undefined
  return {proxy: parseProxyUrl(setting.name, setting.value), variable: setting.name}
}

/** Whether a NO_PROXY list exempts `target` (a URL) from the proxy. */
export function bypassesProxy(noProxy: string, target: URL): boolean {
  const host = normaliseHost(target.hostname)
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80))
  const hostIsIp = isIP(host) !== 0
  return noProxy
    .split(/[\s,]+/)
    .map((entry) => parseEntry(entry))
    .some((rule) => rule !== undefined && ruleMatches(rule, host, hostIsIp, port))
}

type Rule =
  | {kind: 'all'}
  | {kind: 'range'; list: BlockList; family: 'ipv4' | 'ipv6'; port?: number}
  | {kind: 'name'; name: string; ip: boolean; port?: number}

function ruleMatches(rule: Rule, host: string, hostIsIp: boolean, port: number): boolean {
  if (rule.kind === 'all') return true
  if (rule.port !== undefined && rule.port !== port) return false
  if (rule.kind === 'range') return isIP(host) === (rule.family === 'ipv4' ? 4 : 6) && rule.list.check(host, rule.family)
  if (rule.ip || hostIsIp) return rule.name === host
  return host === rule.name || host.endsWith(`.${rule.name}`)
}

function parseEntry(raw: string): Rule | undefined {
  const entry = raw.trim().toLowerCase()
  if (entry === '') return undefined
  if (entry === '*') return {kind: 'all'}

  let host: string
  let portText: string | undefined
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (bracketed) {
    ;[, host, portText] = bracketed
  } else if (isIP(entry.split('/')[0]) === 6) {
    // A bare IPv6 literal cannot carry a port: its colons are ambiguous.
    host = entry
  } else {
    const withPort = /^(.*?)(?::(\d+))?$/.exec(entry)!
    ;[, host, portText] = withPort
  }

  const port = portText === undefined ? undefined : Number(portText)
  const slash = host.indexOf('/')
  if (slash !== -1) return parseRange(host.slice(0, slash), host.slice(slash + 1), port)

  const name = normaliseHost(host.replace(/^\*?\./, ''))
  if (name === '') return undefined
  return {ip: isIP(name) !== 0, kind: 'name', name, port}
}

function parseRange(address: string, prefixText: string, port: number | undefined): Rule | undefined {
  const family = isIP(address)
  const prefix = Number(prefixText)
  if (family === 0 || !/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return undefined
  const list = new BlockList()
  const type = family === 4 ? 'ipv4' : 'ipv6'
  list.addSubnet(address, prefix, type)
  return {family: type, kind: 'range', list, port}
}

/** Lower case, no brackets, no trailing dot, and IPv6 in its canonical compressed form. */
function normaliseHost(host: string): string {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
  if (isIP(bare) !== 6) return bare
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1)
}

function firstSet(env: Env, names: string[]): {name: string; value: string} | undefined {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return {name, value}
  }

  return undefined
}

function parseProxyUrl(variable: string, value: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let url: URL | undefined
  try {
    url = new URL(withScheme)
  } catch {
    url = undefined
  }

  if (!url || url.hostname === '') {
    throw new DifyError('usage_error', `${variable} is not a valid proxy URL`, {
      hint: `set ${variable} to a URL such as http://proxy.example.com:3128, or unset it`,
    })
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DifyError('usage_error', `${variable} uses the unsupported proxy scheme "${url.protocol.replace(':', '')}"`, {
      hint: 'difyctl supports http:// and https:// proxies only',
    })
  }

  return url
}
