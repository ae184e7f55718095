import {DifyError} from '../errors/dify-error.js'

export interface ParsedHost {
  /** `host[:port]`, lower-case, default port dropped: the key in hosts.yml and the keychain. */
  key: string
  /** Origin plus any path prefix, no trailing slash: what API paths are appended to. */
  baseUrl: string
  /** `scheme://host[:port]`: the only origin a token issued here is ever sent to. */
  origin: string
  insecure: boolean
}

/**
 * Normalises what a user typed for a host: a missing scheme means https, the host is lower-cased,
 * the default port and trailing slashes are dropped, a path prefix is kept (without a pasted
 * `/console/api` or `/openapi/v1` suffix). Query and fragment are
 * refused rather than silently dropped. http needs `allowHttp` (the --insecure flag).
 */
export function parseHostInput(input: string, options: {allowHttp: boolean}): ParsedHost {
  const trimmed = input.trim()
  if (trimmed === '') throw new DifyError('usage_error', 'the host is empty', {hint: 'pass --host https://dify.example.com'})
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new DifyError('usage_error', `"${trimmed}" is not a valid host URL`, {hint: 'pass --host https://dify.example.com'})
  }

  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DifyError('usage_error', `unsupported scheme "${url.protocol.replace(':', '')}" in "${trimmed}"`, {
      hint: 'use an https:// URL',
    })
  }

  if (url.username || url.password || url.search || url.hash) {
    throw new DifyError('usage_error', `"${trimmed}" must not carry credentials, a query or a fragment`, {
      hint: `pass just the host, e.g. --host ${url.protocol}//${url.host}`,
    })
  }

  if (url.protocol === 'http:' && !options.allowHttp) {
    throw new DifyError('insecure_host', `refusing http:// host ${url.host} without --insecure`, {
      hint: `use https://${url.host}${url.pathname.replace(/\/+$/, '')}, or add --insecure for local development`,
    })
  }

  // URL already lower-cases the host and drops a default port. A pasted API path is forgiven: the
  // OpenAPI lives at <base>/openapi/v1 and the console API at <base>/console/api, so either suffix
  // names the same base.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/(?:openapi\/v1|console\/api)$/i, '')
  return {
    baseUrl: `${url.origin}${path}`,
    insecure: url.protocol === 'http:',
    key: url.host,
    origin: url.origin,
  }
}

/** The host key for `use host --domain`: accepts a bare domain, and forgives a pasted URL. */
export function hostKeyOf(input: string): string {
  const trimmed = input.trim()
  if (trimmed === '') return ''
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`)
    return url.host
  } catch {
    return trimmed.toLowerCase()
  }
}
