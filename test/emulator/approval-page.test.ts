import {expect} from 'chai'

import {startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {browserCookie, expectRfc, newCode, poll} from './http.js'

/** Text a person would read: tags dropped, entities decoded, whitespace collapsed. */
function visibleText(html: string): string {
  return html
    .replaceAll(/<style[\s\S]*?<\/style>/g, ' ')
    .replaceAll(/<[^>]+>/g, ' ')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
    .replaceAll(/\s+/g, ' ')
    .trim()
}

describe('emulator: approval page (/device)', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator({
      accounts: [
        {email: 'demo@example.com', name: 'Demo User', workspaces: [{current: true, name: 'Demo Workspace', role: 'owner'}]},
        {email: 'second@example.com', name: 'Second <Person>', workspaces: [{name: 'Team One', role: 'normal'}, {name: 'Team Two', role: 'admin'}]},
      ],
    })
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  const page = async (path: string, cookie?: string, form?: Record<string, string>) => {
    const response = await fetch(`${emu.url}${path}`, {
      body: form ? new URLSearchParams(form) : undefined,
      headers: cookie ? {Cookie: cookie} : {},
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
    })
    const html = await response.text()
    return {html, response, status: response.status, text: visibleText(html)}
  }

  it('greets with the signed-in account, offers the code form and sets the session cookie', async () => {
    const {html, response, text} = await page('/device')
    expect(response.headers.get('content-type')).to.equal('text/html; charset=utf-8')
    expect(response.headers.get('set-cookie')).to.match(/^dify_emulator_session=[^;]+; Path=\/; HttpOnly/)
    expect(text).to.include('Signed in as Demo User demo@example.com')
    expect(html).to.match(/<input[^>]*id="user_code"[^>]*name="user_code"/)
    expect(html).to.match(/<label for="user_code">/)
    expect(html).to.match(/<button type="submit" id="continue">Continue<\/button>/)
    expect(html).to.not.match(/<script/i)
  })

  it('keeps one browser session per cookie', async () => {
    const cookie = await browserCookie(emu)
    const again = await page('/device', cookie)
    expect(again.response.headers.get('set-cookie')).to.equal(null)
  })

  it('accepts a lower-case code with spaces and no hyphen, shows the request and approves it', async () => {
    const cookie = await browserCookie(emu)
    const code = await newCode(emu, 'difyctl on build-runner-3')
    const typed = `  ${code.user_code.replace('-', '').toLowerCase()} `
    const details = await page('/device', cookie, {user_code: typed})
    expect(details.status).to.equal(200)
    for (const part of [`Code ${code.user_code}`, 'Client difyctl', 'Device difyctl on build-runner-3', 'Account Demo User (demo@example.com)', 'Workspace Demo Workspace']) {
      expect(details.text).to.include(part)
    }

    expect(details.html).to.match(/<button type="submit" id="approve">Approve<\/button>/)
    expect(details.html).to.match(/<button type="submit" id="deny">Deny<\/button>/)
    const done = await page('/device/approve', cookie, {user_code: code.user_code})
    expect(done.status).to.equal(200)
    expect(done.text).to.include('Approved — return to your terminal')
    const payload = (await poll(emu, code.device_code)).json
    expect(payload.account.email).to.equal('demo@example.com')
  })

  it('shows the request for GET /device?user_code= too, and denies it', async () => {
    const cookie = await browserCookie(emu)
    const code = await newCode(emu)
    const details = await page(`/device?user_code=${code.user_code.toLowerCase()}`, cookie)
    expect(details.text).to.include('Authorize this device?')
    const done = await page('/device/deny', cookie, {user_code: code.user_code})
    expect(done.text).to.include('Denied — return to your terminal')
    expectRfc(await poll(emu, code.device_code), 400, 'access_denied')
  })

  it('says invalid, expired or already used for unknown, decided and expired codes', async () => {
    const cookie = await browserCookie(emu)
    const expired = await newCode(emu)
    await emu.control.advanceClock(900)
    const decided = await newCode(emu)
    await emu.control.approve(decided.user_code)
    for (const typed of ['ZZZZ-ZZZZ', decided.user_code, expired.user_code, 'nonsense']) {
      const answer = await page('/device', cookie, {user_code: typed})
      expect(answer.text).to.include('invalid, expired or already used')
      expect(answer.html).to.match(/id="error"/)
    }

    const done = await page('/device/approve', cookie, {user_code: decided.user_code})
    expect(done.status).to.equal(409)
    expect(done.text).to.include('invalid, expired or already used')
  })

  it('tells how to type the code, and after a wrong one offers the form again so the person can retry', async () => {
    const cookie = await browserCookie(emu)
    const start = await page('/device', cookie)
    expect(start.text).to.include('Upper or lower case, with or without the hyphen.')
    expect(start.html).to.match(/<input[^>]*id="user_code"[^>]*aria-describedby="code-hint"/)
    expect(start.html).to.not.include('aria-invalid')

    const code = await newCode(emu)
    const wrong = await page('/device', cookie, {user_code: 'zzzz zzzz'})
    expect(wrong.text).to.include('That code is invalid, expired or already used. Check the code in your terminal and enter it again.')
    expect(wrong.html).to.match(/<input[^>]*id="user_code"[^>]*value="ZZZZ-ZZZZ"[^>]*aria-describedby="error code-hint" aria-invalid="true"/)
    expect(wrong.html).to.match(/<form method="post" action="\/device" id="code-form">/)
    expect((await emu.control.deviceCodes())[0].status, 'a wrong code leaves the real request alone').to.equal('pending')

    const right = await page('/device', cookie, {user_code: code.user_code.toLowerCase()})
    expect(right.text).to.include('Authorize this device?')
    expect(right.text).to.include('Approve only if you started this sign-in yourself')
    expect((await page('/device/approve', cookie, {user_code: code.user_code})).text).to.include('Approved — return to your terminal')
  })

  it('escapes every value it writes into HTML', async () => {
    const cookie = await browserCookie(emu)
    const code = await newCode(emu, '<script>alert("x")</script> & co')
    const details = await page('/device', cookie, {user_code: code.user_code})
    expect(details.html).to.not.include('<script>')
    expect(details.html).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co')
    const typed = await page('/device', cookie, {user_code: '"><b>x'})
    expect(typed.html).to.not.include('"><b>')
  })

  it('refuses approve and deny without the browser session', async () => {
    const code = await newCode(emu)
    const answer = await page('/device/approve', undefined, {user_code: code.user_code})
    expect(answer.status).to.equal(401)
    expect(answer.text).to.include('no session')
    expect((await emu.control.deviceCodes())[0].status).to.equal('pending')
  })

  it('shares the approve rate limit with the JSON endpoints', async () => {
    await emu.control.patchConfig({rate_limits: {approve: {limit: 1}}})
    const cookie = await browserCookie(emu)
    const first = await newCode(emu)
    const second = await newCode(emu)
    expect((await page('/device/approve', cookie, {user_code: first.user_code})).status).to.equal(200)
    const refused = await page('/device/approve', cookie, {user_code: second.user_code})
    expect(refused.status).to.equal(429)
    expect(refused.text).to.include('Too many approvals')
  })

  it('switches accounts and workspaces, and approves as the chosen ones', async () => {
    const cookie = await browserCookie(emu)
    const code = await newCode(emu)
    const start = await page(`/device?user_code=${code.user_code}`, cookie)
    expect(start.html).to.match(/<select id="account" name="account">/)
    const switched = await page('/device/account', cookie, {account: 'second@example.com', user_code: code.user_code})
    expect(switched.status).to.equal(303)
    expect(switched.response.headers.get('location')).to.equal(`/device?user_code=${code.user_code}`)
    const afterSwitch = await page(`/device?user_code=${code.user_code}`, cookie)
    expect(afterSwitch.text).to.include('Signed in as Second <Person> second@example.com')
    expect(afterSwitch.html).to.include('Second &lt;Person&gt;')
    expect(afterSwitch.text).to.include('Workspace Team One')
    const workspaceId = /<option value="([^"]+)">Team Two/.exec(afterSwitch.html)?.[1] as string
    await page('/device/workspace', cookie, {user_code: code.user_code, workspace: workspaceId})
    expect((await page(`/device?user_code=${code.user_code}`, cookie)).text).to.include('Workspace Team Two')
    await page('/device/approve', cookie, {user_code: code.user_code})
    const payload = (await poll(emu, code.device_code)).json
    expect(payload.account.email).to.equal('second@example.com')
    expect(payload.default_workspace_id).to.equal(workspaceId)
  })

  it('answers unknown page paths with 404 and wrong methods with 405', async () => {
    expect((await page('/device/nothing')).status).to.equal(404)
    expect((await page('/device/approve')).status).to.equal(405)
  })
})
