import {randomUUID} from 'node:crypto'

import {BROWSER_COOKIE, browserDecide} from './browser-decision.js'
import {defaultWorkspace} from './config.js'
import type {Account} from './config.js'
import type {DeviceRecord} from './device-store.js'
import {escapeHtml as e, htmlReply} from './http-io.js'
import type {Call, Reply} from './http-io.js'
import type {BrowserSession, EmulatorState} from './state.js'

/**
 * The approval page of protocol §12.4: plain HTML forms, no script. Control names are stable for
 * browser-driven tests: input `user_code` (#user_code), buttons #continue, #approve, #deny, the
 * result heading #result, errors in #error, request details in #detail-*.
 */

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1c2026;line-height:1.5}
header{border-bottom:1px solid #d0d5dd;padding-bottom:.5rem;margin-bottom:1.5rem;color:#475467;font-size:.9rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text]{font:inherit;font-size:1.4rem;letter-spacing:.15em;text-transform:uppercase;padding:.4rem .6rem;width:12rem}
button{font:inherit;padding:.45rem 1.2rem;margin:.75rem .5rem 0 0;cursor:pointer}
#approve{background:#155eef;color:#fff;border:1px solid #155eef;border-radius:4px}
#deny{background:#fff;color:#b42318;border:1px solid #b42318;border-radius:4px}
.error{color:#b42318;background:#fef3f2;border:1px solid #fecdca;padding:.5rem .75rem;border-radius:4px}
dl{display:grid;grid-template-columns:max-content auto;gap:.3rem 1rem}dt{color:#475467}dd{margin:0;font-weight:600}
.inline{display:inline}
.switcher{margin-top:2rem;font-size:.9rem;color:#475467}
.hint{font-size:.9rem;color:#475467}
`

function layout(title: string, who: Account, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · Dify</title>
<style>${STYLE}</style>
</head>
<body>
<header><p id="signed-in">Signed in as <span id="signed-in-name">${e(who.name)}</span> <span id="signed-in-email">${e(who.email)}</span></p></header>
<main>
${main}
</main>
</body>
</html>
`
}

/** The page forgives what people type: spaces, lower case, a missing hyphen. */
export function pageUserCode(input: string): string {
  const compact = input.replaceAll(/[\s-]+/g, '').toUpperCase()
  return compact.length === 8 ? `${compact.slice(0, 4)}-${compact.slice(4)}` : input.trim().toUpperCase()
}

function codeForm(value: string, error: string | null): string {
  // The hint and the error are tied to the field so a screen reader reads them with it.
  const describedBy = error ? 'error code-hint' : 'code-hint'
  return `<h1>Connect a device</h1>
${error ? `<p class="error" role="alert" id="error">${e(error)}</p>` : ''}
<form method="post" action="/device" id="code-form">
<label for="user_code">Enter the code shown in your terminal</label>
<input type="text" id="user_code" name="user_code" value="${e(value)}" placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus aria-describedby="${describedBy}"${error ? ' aria-invalid="true"' : ''}>
<button type="submit" id="continue">Continue</button>
<p class="hint" id="code-hint">8 letters and digits, like WDJP-XKLM. Upper or lower case, with or without the hyphen.</p>
</form>`
}

function switcher(state: EmulatorState, who: Account, browser: BrowserSession, userCode: string): string {
  const keep = `<input type="hidden" name="user_code" value="${e(userCode)}">`
  const parts: string[] = []
  if (state.accounts.length > 1) {
    const options = state.accounts
      .map((a) => `<option value="${e(a.email)}"${a.email === who.email ? ' selected' : ''}>${e(a.name)} (${e(a.email)})</option>`)
      .join('')
    parts.push(`<form method="post" action="/device/account" id="account-form">
<label for="account">Switch account</label>
<select id="account" name="account">${options}</select>${keep}
<button type="submit" id="switch-account">Switch account</button>
</form>`)
  }

  if (who.workspaces.length > 1) {
    const current = defaultWorkspace(who, browser.workspaceId)
    const options = who.workspaces
      .map((w) => `<option value="${e(w.id)}"${w.id === current?.id ? ' selected' : ''}>${e(w.name)} (${e(w.role)})</option>`)
      .join('')
    parts.push(`<form method="post" action="/device/workspace" id="workspace-form">
<label for="workspace">Current workspace</label>
<select id="workspace" name="workspace">${options}</select>${keep}
<button type="submit" id="switch-workspace">Switch workspace</button>
</form>`)
  }

  return parts.length === 0 ? '' : `<section class="switcher">${parts.join('\n')}</section>`
}

function details(record: DeviceRecord, who: Account, browser: BrowserSession): string {
  const workspace = defaultWorkspace(who, browser.workspaceId)
  const hidden = `<input type="hidden" name="user_code" value="${e(record.userCode)}">`
  return `<h1>Authorize this device?</h1>
<p>A program is asking to sign in to Dify as you.</p>
<dl id="request">
<dt>Code</dt><dd id="detail-user-code">${e(record.userCode)}</dd>
<dt>Client</dt><dd id="detail-client-id">${e(record.clientId)}</dd>
<dt>Device</dt><dd id="detail-device-label">${e(record.deviceLabel)}</dd>
<dt>Account</dt><dd id="detail-account">${e(who.name)} (${e(who.email)})</dd>
<dt>Workspace</dt><dd id="detail-workspace">${workspace ? e(workspace.name) : '(no workspace)'}</dd>
</dl>
<p class="hint" id="approve-hint">Approve only if you started this sign-in yourself and the code above matches the one in your terminal.</p>
<form method="post" action="/device/approve" class="inline" id="approve-form">${hidden}<button type="submit" id="approve">Approve</button></form>
<form method="post" action="/device/deny" class="inline" id="deny-form">${hidden}<button type="submit" id="deny">Deny</button></form>`
}

const INVALID = 'That code is invalid, expired or already used.'
/** On the code form the person can fix a typo right there, so say so. */
const INVALID_RETRY = `${INVALID} Check the code in your terminal and enter it again.`

function ensureBrowser(state: EmulatorState, call: Call): {browser: BrowserSession; headers: Record<string, string>} {
  const existing = state.browserSessions.get(call.cookies[BROWSER_COOKIE] ?? '')
  if (existing) return {browser: existing, headers: {}}
  const browser: BrowserSession = {accountEmail: null, id: randomUUID(), workspaceId: null}
  state.browserSessions.set(browser.id, browser)
  return {browser, headers: {'Set-Cookie': `${BROWSER_COOKIE}=${browser.id}; Path=/; HttpOnly; SameSite=Lax`}}
}

function codePage(state: EmulatorState, browser: BrowserSession, rawCode: string | null, headers: Record<string, string>): Reply {
  const who = state.browserAccount(browser)
  if (rawCode === null || rawCode.trim() === '') {
    return htmlReply(200, layout('Connect a device', who, codeForm('', null) + switcher(state, who, browser, '')), headers)
  }

  const userCode = pageUserCode(rawCode)
  const record = state.devices.liveByUserCode(userCode)
  if (!record || record.status !== 'pending') {
    return htmlReply(200, layout('Connect a device', who, codeForm(userCode, INVALID_RETRY) + switcher(state, who, browser, '')), headers)
  }

  return htmlReply(200, layout('Authorize this device', who, details(record, who, browser) + switcher(state, who, browser, userCode)), headers)
}

function seeOther(userCode: string): Reply {
  const target = userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : '/device'
  return {headers: {Location: target}, status: 303, text: ''}
}

const NO_SESSION = `<h1>Not signed in</h1>
<p class="error" role="alert" id="error">This browser has no session. Open <a href="/device">the device page</a> again.</p>`

function failureText(error: unknown, status: number): string {
  switch (error) {
    case 'expired_or_unknown':
    case 'already_resolved': {
      return INVALID
    }

    case 'approve_in_progress': {
      return 'This request is already being approved.'
    }

    case 'state_lost': {
      return 'The request disappeared while it was being approved. Start again from your terminal.'
    }

    default: {
      if (status === 429) return 'Too many approvals from this browser. Try again later.'
      if (status === 503) return 'Device authorization is turned off on this server.'
      return 'The request could not be processed.'
    }
  }
}

async function decisionPage(state: EmulatorState, call: Call, action: 'approve' | 'deny'): Promise<Reply> {
  const form = new URLSearchParams(call.rawBody)
  const browser = state.browserSessions.get(call.cookies[BROWSER_COOKIE] ?? '')
  const outcome = await browserDecide(state, browser, action, form.get('user_code') ?? undefined, pageUserCode)
  const who = browser ? state.browserAccount(browser) : state.demoAccount()
  const {reply} = outcome
  if (reply.status === 401) return htmlReply(401, layout('Not signed in', who, NO_SESSION))
  if (reply.status === 200 && browser) {
    if (action === 'deny') {
      return htmlReply(200, layout('Denied', who, `<h1 id="result">Denied — return to your terminal</h1>
<p>Nothing was signed in. You can close this window.</p>`))
    }

    const workspace = defaultWorkspace(who, browser.workspaceId)
    return htmlReply(200, layout('Approved', who, `<h1 id="result">Approved — return to your terminal</h1>
<p>The device is now signed in as ${e(who.name)} (${e(who.email)})${workspace ? ` in ${e(workspace.name)}` : ''}. You can close this window.</p>`))
  }

  const error = (reply.json as {error?: unknown} | undefined)?.error
  const title = action === 'approve' ? 'Could not approve' : 'Could not deny'
  return htmlReply(reply.status, layout(title, who, `<h1>${title}</h1>
<p class="error" role="alert" id="error">${e(failureText(error, reply.status))}</p>
<p><a href="/device" id="start-over">Enter another code</a></p>`))
}

function switchAccount(state: EmulatorState, call: Call, kind: 'account' | 'workspace'): Reply {
  const browser = state.browserSessions.get(call.cookies[BROWSER_COOKIE] ?? '')
  if (!browser) return htmlReply(401, layout('Not signed in', state.demoAccount(), NO_SESSION))
  const form = new URLSearchParams(call.rawBody)
  if (kind === 'account') {
    const account = state.findAccount(form.get('account') ?? '')
    if (account) {
      browser.accountEmail = account.email
      browser.workspaceId = null
    }
  } else {
    const wanted = form.get('workspace') ?? ''
    if (state.browserAccount(browser).workspaces.some((w) => w.id === wanted)) browser.workspaceId = wanted
  }

  return seeOther(form.get('user_code') ?? '')
}

/** `/device` and `/device/*`. */
export async function handlePage(state: EmulatorState, call: Call): Promise<Reply> {
  const route = `${call.method} ${call.path.replace(/\/+$/, '') || '/'}`
  switch (route) {
    case 'GET /device': {
      const {browser, headers} = ensureBrowser(state, call)
      return codePage(state, browser, call.query.get('user_code'), headers)
    }

    case 'POST /device': {
      const {browser, headers} = ensureBrowser(state, call)
      return codePage(state, browser, new URLSearchParams(call.rawBody).get('user_code') ?? '', headers)
    }

    case 'POST /device/approve': {
      return decisionPage(state, call, 'approve')
    }

    case 'POST /device/deny': {
      return decisionPage(state, call, 'deny')
    }

    case 'POST /device/account': {
      return switchAccount(state, call, 'account')
    }

    case 'POST /device/workspace': {
      return switchAccount(state, call, 'workspace')
    }

    default: {
      const known = ['/device', '/device/approve', '/device/deny', '/device/account', '/device/workspace']
      const status = known.includes(call.path.replace(/\/+$/, '')) ? 405 : 404
      const text = status === 405 ? 'Method Not Allowed' : 'Not Found'
      return htmlReply(status, layout(text, state.demoAccount(), `<h1>${text}</h1><p><a href="/device">Go to the device page</a></p>`))
    }
  }
}
