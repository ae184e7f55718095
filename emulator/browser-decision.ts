import {unauthorized} from './account-api.js'
import {approve, deny, normalizeUserCode, rateLimited} from './device-flow.js'
import type {DecisionOutcome} from './device-flow.js'
import {errorReply} from './http-io.js'
import type {BrowserSession, EmulatorState} from './state.js'

export const BROWSER_COOKIE = 'dify_emulator_session'

/**
 * Protocol §4.5 for a signed-in browser, used by both the JSON endpoints and the approval page:
 * session (401) → feature switch (503) → shared approve/deny rate limit (429) → body (400) → logic.
 * `normalize` lets the page forgive a missing hyphen; the API keeps it required.
 */
export async function browserDecide(
  state: EmulatorState,
  browser: BrowserSession | undefined,
  action: 'approve' | 'deny',
  rawUserCode: unknown,
  normalize: (input: string) => string = normalizeUserCode,
): Promise<DecisionOutcome> {
  if (!browser) return {reply: unauthorized('login required')}
  if (!state.knobs.bearer_enabled) return {reply: errorReply(503)}
  if (!state.limiter.take(`approve:${browser.id}`, state.knobs.rate_limits.approve).ok) return {reply: rateLimited()}
  if (typeof rawUserCode !== 'string') {
    const missing = rawUserCode === undefined
    return {
      reply: errorReply(400, {
        details: [{loc: ['user_code'], msg: missing ? 'Field required' : 'Input should be a valid string', type: missing ? 'missing' : 'string_type'}],
        message: 'Invalid request body',
      }),
    }
  }

  const userCode = normalize(rawUserCode)
  if (action === 'deny') return deny(state, userCode)
  return approve(state, userCode, {account: state.browserAccount(browser), kind: 'account', workspaceId: browser.workspaceId})
}
