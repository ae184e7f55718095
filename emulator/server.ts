import {createServer} from 'node:http'
import type {IncomingMessage, Server, ServerResponse} from 'node:http'

import {handlePage} from './approval-page.js'
import {CONTROL_PREFIX, handleControl} from './control-api.js'
import {BodyTooLarge, errorBody, errorReply, isJsonContentType, parseCookies, parseJsonObject, readRawBody, send} from './http-io.js'
import type {Call, Reply} from './http-io.js'
import {BASE, handleOpenApi} from './openapi.js'
import type {EmulatorState} from './state.js'
import {formatTimestamp} from './time-format.js'

const MAX_BODY = 1024 * 1024
const MAX_CONTROL_BODY = 64 * 1024 * 1024

type Surface = 'openapi' | 'page' | 'control' | 'other'

function surfaceOf(path: string): Surface {
  if (path === BASE || path.startsWith(`${BASE}/`)) return 'openapi'
  if (path === '/device' || path.startsWith('/device/')) return 'page'
  if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) return 'control'
  return 'other'
}

function loggedBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return null
  if (isJsonContentType(contentType)) {
    try {
      return JSON.parse(raw) as unknown
    } catch {
      return raw
    }
  }

  return raw
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]])
  return out
}

function faultReply(fault: {status: number; body?: unknown; content_type?: string; headers?: Record<string, string>}): Reply {
  const headers = fault.headers ?? {}
  if (typeof fault.body === 'string') return {contentType: fault.content_type ?? 'text/plain; charset=utf-8', headers, status: fault.status, text: fault.body}
  const json = fault.body === undefined || fault.body === null ? errorBody(fault.status) : fault.body
  return {contentType: fault.content_type, headers, json, status: fault.status}
}

/** One request: parse, log, apply a fault if one is due, else dispatch to its surface. */
async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse, verbose: boolean): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid')
  const surface = surfaceOf(url.pathname)
  const method = (req.method ?? 'GET').toUpperCase()
  let rawBody = ''
  try {
    rawBody = await readRawBody(req, surface === 'control' ? MAX_CONTROL_BODY : MAX_BODY)
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      send(res, errorReply(413))
      return
    }

    throw error
  }

  const contentType = req.headers['content-type']
  const call: Call = {
    body: parseJsonObject(rawBody, contentType),
    cookies: parseCookies(req.headers.cookie),
    headers: req.headers,
    ip: req.socket.remoteAddress ?? 'unknown',
    method,
    path: url.pathname,
    query: url.searchParams,
    rawBody,
    rawHeaders: req.rawHeaders,
    rawQuery: url.search.replace(/^\?/, ''),
  }

  if (surface === 'control') {
    send(res, await handleControl(state, call))
    return
  }

  if (surface === 'other') {
    send(res, errorReply(404))
    return
  }

  const entry = state.requests.add({
    body: loggedBody(rawBody, contentType),
    client_ip: call.ip,
    headers: {...req.headers},
    method,
    path: call.path,
    query: call.rawQuery,
    raw_headers: pairs(req.rawHeaders),
    time: formatTimestamp(state.clock.nowUs(), 'Z'),
  })
  const fault = state.faults.take(method, call.path)
  if (fault?.delay_ms) await state.sleep(fault.delay_ms)
  if (fault?.action === 'reset') {
    req.socket.destroy()
    return
  }

  let reply: Reply
  if (fault?.status === undefined) {
    const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`
    reply = surface === 'openapi' ? await handleOpenApi(state, call, `http://${host}`) : await handlePage(state, call)
  } else {
    reply = faultReply({...fault, status: fault.status})
  }

  entry.status = reply.status
  if (verbose) state.logger(`${method} ${call.path} ${reply.status}${fault ? ` (fault #${fault.id})` : ''}`)
  send(res, reply)
}

export function createEmulatorServer(state: EmulatorState, options: {verbose?: boolean} = {}): Server {
  return createServer((req, res) => {
    handle(state, req, res, options.verbose ?? false).catch((error: unknown) => {
      state.logger(`internal error: ${error instanceof Error ? error.message : String(error)}`)
      send(res, errorReply(500))
    })
  })
}
