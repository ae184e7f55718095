import {getAccount, listSessions, revokeSession} from './account-api.js'
import {BROWSER_COOKIE, browserDecide} from './browser-decision.js'
import {lookupCode, pollToken, requestDeviceCode} from './device-flow.js'
import {errorReply, htmlReply, jsonReply} from './http-io.js'
import type {Call, Reply} from './http-io.js'
import type {EmulatorState} from './state.js'
import {UPGRADE_HINT, versionGateMessage} from './version-gate.js'

export const BASE = '/openapi/v1'

interface Context {
  state: EmulatorState
  call: Call
  origin: string
  params: Record<string, string>
}

interface Route {
  method: string
  segments: string[]
  handle(ctx: Context): Reply | Promise<Reply>
}

const ROUTES: Route[] = [
  {handle: ({call, origin, state}) => requestDeviceCode(state, call, origin), method: 'POST', segments: ['oauth', 'device', 'code']},
  {handle: ({call, state}) => pollToken(state, call), method: 'POST', segments: ['oauth', 'device', 'token']},
  {handle: ({call, state}) => lookupCode(state, call), method: 'GET', segments: ['oauth', 'device', 'lookup']},
  {handle: (ctx) => browserDecision(ctx, 'approve'), method: 'POST', segments: ['oauth', 'device', 'approve']},
  {handle: (ctx) => browserDecision(ctx, 'deny'), method: 'POST', segments: ['oauth', 'device', 'deny']},
  {handle: ({call, state}) => listSessions(state, call), method: 'GET', segments: ['account', 'sessions']},
  {handle: ({call, state}) => revokeSession(state, call, null), method: 'DELETE', segments: ['account', 'sessions', 'self']},
  {
    handle: ({call, params, state}) => revokeSession(state, call, params.session_id),
    method: 'DELETE',
    segments: ['account', 'sessions', '{session_id}'],
  },
  {handle: ({call, state}) => getAccount(state, call), method: 'GET', segments: ['account']},
  {
    handle: ({state}) => jsonReply(200, {version: state.knobs.server_version, edition: state.knobs.edition}),
    method: 'GET',
    segments: ['_version'],
  },
  {handle: () => jsonReply(200, {ok: true}), method: 'GET', segments: ['_health']},
]

const NOT_FOUND_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p></body>
</html>
`

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function match(route: Route, segments: string[]): Record<string, string> | null {
  if (route.segments.length !== segments.length) return null
  const params: Record<string, string> = {}
  for (const [i, want] of route.segments.entries()) {
    const got = segments[i]
    if (want.startsWith('{')) {
      if (got === '') return null
      params[want.slice(1, -1)] = decodeSegment(got)
    } else if (want !== got) {
      return null
    }
  }

  return params
}

/** Everything under `/openapi/v1`, in the order of protocol §1.2 (after §10's switch). */
export async function handleOpenApi(state: EmulatorState, call: Call, origin: string): Promise<Reply> {
  if (!state.knobs.openapi_enabled) return htmlReply(404, NOT_FOUND_PAGE)
  const rest = call.path === BASE ? '' : call.path.slice(BASE.length + 1)
  const segments = rest.split('/')
  if (rest !== '_version' && rest !== '_health') {
    const message = versionGateMessage(headerText(call.headers['user-agent']), state.knobs.min_client_version)
    if (message !== null) return errorReply(426, {hint: UPGRADE_HINT, message})
  }

  const allowed: string[] = []
  for (const route of ROUTES) {
    const params = match(route, segments)
    if (params === null) continue
    if (route.method === call.method) return route.handle({call, origin, params, state})
    if (!allowed.includes(route.method)) allowed.push(route.method)
  }

  if (allowed.length > 0) return errorReply(405, {}, {Allow: allowed.join(', ')})
  return errorReply(404)
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** `POST oauth/device/approve|deny`, with the browser session from the approval page's cookie. */
async function browserDecision({call, state}: Context, action: 'approve' | 'deny'): Promise<Reply> {
  const browser = state.browserSessions.get(call.cookies[BROWSER_COOKIE] ?? '')
  return (await browserDecide(state, browser, action, call.body.user_code)).reply
}
