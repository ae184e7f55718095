import {expect} from 'chai'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {type BrowserContext, chromium, type Page} from 'playwright-core'

import {type CliResult, type CliState, ROOT, runCli, tempState} from '../support/cli.js'
import {filesUnder} from '../support/e2e.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'

/**
 * Issue 5: the browser half of the device flow, done the way a person does it. difyctl runs WITHOUT
 * --no-browser; BROWSER points at a tiny script that hands the URL to this test instead of showing
 * it; the test opens that URL in a real headless Chromium, types the code from difyctl's stderr and
 * clicks Approve or Deny.
 *
 * Chromium is a hard requirement, never a skip: .ci/run installs Debian's chromium, and a browser
 * test that quietly skips proves nothing. DIFY_TEST_CHROMIUM may point elsewhere on a developer box.
 */

const CHROMIUM = process.env.DIFY_TEST_CHROMIUM ?? '/usr/bin/chromium'
/** Flags known to work on this project's machines (root, no GPU, a closed network). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const OUTPUT = path.join(ROOT, 'test-output')
const CODE_LINE = /^! Copy this one-time code: ([A-Z0-9]{4}-[A-Z0-9]{4})$/m
/** Any account or SSO token, whatever it is: none may ever be printed. */
const ANY_TOKEN = /dfo[ae]_[\w-]{20,}/

interface LoginRun {
  /** The one-time code exactly as difyctl printed it. */
  code: string
  /** What the BROWSER script was given: its arguments, one per entry. */
  opened: string[]
  result: Promise<CliResult>
  /** Whether the difyctl process is still running. */
  running(): boolean
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('e2e: a real browser signs in (headless Chromium, BROWSER hand-off)', function () {
  this.timeout(120_000)
  let emulator: TestEmulator
  let state: CliState
  let scratch: string
  let context: BrowserContext | undefined

  before(() => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}. Install Debian's chromium (scripts/system-deps.sh, which .ci/run uses); this test fails rather than skips without it.`)
    }

    if (!existsSync(path.join(ROOT, 'build', 'src', 'commands', 'auth', 'login.js'))) {
      throw new Error('No build of the CLI: run `npx tsc -p tsconfig.json && npx oclif manifest` first.')
    }

    mkdirSync(OUTPUT, {recursive: true})
  })

  beforeEach(async () => {
    emulator = await startTestEmulator()
    // interval 1 s instead of the real 5 s: this test is about the browser half, and the client's
    // pacing at the real interval is proven by the login polling tests on a manual clock. At 5 s the
    // three runs would spend ~25 s waiting for polls and prove nothing more here.
    await emulator.control.patchConfig({interval_s: 1})
    state = tempState()
    scratch = mkdtempSync(path.join(os.tmpdir(), 'difyctl-browser-'))
  })

  afterEach(async () => {
    await context?.close()
    context = undefined
    await emulator.close()
    state.cleanup()
    rmSync(scratch, {force: true, recursive: true})
  })

  /** A fresh Chromium with a new, empty profile (no cookies: the page starts a new browser session). */
  async function openBrowser(options: {javaScript: boolean}): Promise<Page> {
    const profile = path.join(scratch, 'chromium-profile')
    mkdirSync(profile)
    expect(readdirSync(profile)).to.deep.equal([])
    context = await chromium.launchPersistentContext(profile, {
      args: CHROMIUM_ARGS,
      executablePath: CHROMIUM,
      headless: true,
      javaScriptEnabled: options.javaScript,
    })
    return context.pages()[0] ?? (await context.newPage())
  }

  /**
   * Starts `difyctl auth login` with BROWSER set to a script that writes its arguments to a file
   * (renamed into place, so the test never reads half of it), then waits for the code on stderr and
   * for the script to have run.
   */
  async function startLogin(): Promise<LoginRun> {
    const handoff = path.join(scratch, 'opened')
    const script = path.join(scratch, 'hand-url-to-test.sh')
    const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`
    writeFileSync(
      script,
      `#!/bin/sh
# Stands in for a browser: gives the URL to the test instead of showing it.
for arg in "$@"; do printf '%s\\n' "$arg"; done > ${quoted(`${handoff}.part`)}
mv ${quoted(`${handoff}.part`)} ${quoted(handoff)}
`,
      {mode: 0o755},
    )
    let stderr = ''
    let exited = false
    const result = runCli(['auth', 'login', '--host', emulator.url, '--insecure'], {
      // Quoted as a user would quote a path; exercises the opener's word splitting end to end.
      env: {...state.env, BROWSER: `"${script}"`},
      onStderr: (_chunk, all) => {
        stderr = all
      },
      timeoutMs: 90_000,
    })
    result.child.once('exit', () => {
      exited = true
    })
    const why = () => `difyctl exited: ${exited}\nstderr so far:\n${stderr}`
    const code = await waitFor('the one-time code on stderr', () => CODE_LINE.exec(stderr)?.[1], 20_000, why)
    const opened = await waitFor(
      'the BROWSER script to receive the URL',
      () => (existsSync(handoff) ? readFileSync(handoff, 'utf8').split('\n').slice(0, -1) : undefined),
      20_000,
      why,
    )
    expect(stderr, 'the browser was opened, so no fallback line').not.to.include('Not opening a browser')
    return {code, opened, result, running: () => !exited}
  }

  /** Types like a person (key by key) into the code field and continues. */
  async function enterCode(page: Page, typed: string): Promise<void> {
    const field = page.locator('#user_code')
    await field.fill('')
    await field.pressSequentially(typed)
    await page.locator('#continue').click()
  }

  /** The page that asks Approve / Deny, checked against what difyctl requested. */
  async function expectRequestShown(page: Page, code: string): Promise<void> {
    await page.locator('#approve').waitFor()
    expect(await page.title()).to.equal('Authorize this device · Dify')
    expect(await page.locator('#detail-user-code').textContent()).to.equal(code)
    expect(await page.locator('#detail-client-id').textContent()).to.equal('difyctl')
    expect(await page.locator('#detail-device-label').textContent()).to.equal(`difyctl on ${os.hostname()}`)
    expect(await page.locator('#detail-account').textContent()).to.equal('Demo User (demo@example.com)')
    expect(await page.locator('#detail-workspace').textContent()).to.equal('Demo Workspace')
    expect(await page.locator('#signed-in').innerText()).to.equal('Signed in as Demo User demo@example.com')
    expect(await page.locator('#deny').isVisible()).to.equal(true)
  }

  /**
   * The token the sign-in stored, learnt the only way a test can: `auth devices list` sends it as
   * the bearer, and the emulator's request log records the header. Also proves the token works.
   */
  async function storedToken(): Promise<string> {
    await emulator.control.clearRequests()
    const list = await runCli(['auth', 'devices', 'list', '--json'], {env: state.env})
    expect(list.code, list.stderr).to.equal(0)
    const bearer = (await emulator.control.requests()).map((entry) => entry.headers.authorization).find((value) => typeof value === 'string')
    const token = /^Bearer (dfoa_[\w-]{43})$/.exec(String(bearer))?.[1]
    expect(token, `bearer header: ${String(bearer)}`).to.be.a('string')
    return token as string
  }

  function expectNoToken(result: CliResult, token?: string): void {
    for (const [name, text] of [
      ['stdout', result.stdout],
      ['stderr', result.stderr],
    ] as const) {
      expect(text, `a token on ${name}`).not.to.match(ANY_TOKEN)
      if (token) expect(text, `the token on ${name}`).not.to.include(token)
    }
  }

  function expectSignedIn(result: CliResult): void {
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.equal(`✓ Logged in to ${new URL(emulator.url).host} as demo@example.com (Demo User)\n  Workspace: Demo Workspace\n`)
  }

  it('approve: BROWSER gets the URL, the page takes a lower-case code without its hyphen, difyctl signs in', async () => {
    const login = await startLogin()
    expect(login.opened, 'BROWSER got exactly one argument, the verification URL').to.deep.equal([`${emulator.url}/device`])

    const page = await openBrowser({javaScript: true})
    await page.goto(login.opened[0])
    expect(await page.locator('h1').textContent()).to.equal('Connect a device')
    await enterCode(page, login.code.replace('-', '').toLowerCase())
    await expectRequestShown(page, login.code)
    await page.screenshot({fullPage: true, path: path.join(OUTPUT, 'approval-page.png')})

    await page.locator('#approve').click()
    expect(await page.locator('#result').textContent()).to.equal('Approved — return to your terminal')
    await page.screenshot({fullPage: true, path: path.join(OUTPUT, 'approval-approved.png')})

    const result = await login.result
    expectSignedIn(result)
    const [session] = await emulator.control.sessions()
    expect(session).to.include({client_id: 'difyctl', device_label: `difyctl on ${os.hostname()}`, subject_email: 'demo@example.com'})
    expectNoToken(result, await storedToken())
  })

  it('deny: the page says denied, difyctl exits 4 (access_denied) and stores nothing', async () => {
    const login = await startLogin()
    const page = await openBrowser({javaScript: true})
    await page.goto(login.opened[0])
    await enterCode(page, login.code)
    await expectRequestShown(page, login.code)

    await page.locator('#deny').click()
    expect(await page.locator('#result').textContent()).to.equal('Denied — return to your terminal')
    await page.screenshot({fullPage: true, path: path.join(OUTPUT, 'approval-denied.png')})

    const result = await login.result
    expect(result.code, result.stderr).to.equal(4)
    expect(result.stderr).to.match(/^access_denied: /m)
    expect(result.stdout).to.equal('')
    expect(filesUnder(state.configDir, state.dataDir).filter((file) => !file.file.endsWith('.lock'))).to.deep.equal([])
    expect(await emulator.control.sessions()).to.deep.equal([])
    expectNoToken(result)
  })

  it('a wrong code first (JavaScript off): the page says so, difyctl keeps waiting, the right code then signs in', async () => {
    const login = await startLogin()
    // No JavaScript at all: plain forms must carry the whole flow.
    const page = await openBrowser({javaScript: false})
    await page.goto(login.opened[0])
    const wrong = login.code === 'ZZZZ-ZZZZ' ? 'yyyy-yyyy' : 'zzzz-zzzz'
    await enterCode(page, wrong)
    expect(await page.locator('#error').textContent()).to.include('invalid, expired or already used')
    expect(await page.locator('#approve').count(), 'no Approve for a wrong code').to.equal(0)
    expect(await page.locator('#user_code').isEditable(), 'the form is offered again').to.equal(true)
    await page.screenshot({fullPage: true, path: path.join(OUTPUT, 'approval-wrong-code.png')})

    // difyctl is unaffected: still running and still polling, the real request still pending.
    const pollsNow = (await emulator.control.deviceCodes())[0].polls
    await waitFor('difyctl to poll again after the wrong code', async () => ((await emulator.control.deviceCodes())[0].polls > pollsNow ? true : undefined), 10_000, () => '')
    expect(login.running(), 'difyctl still waiting').to.equal(true)
    expect((await emulator.control.deviceCodes())[0].status).to.equal('pending')

    await enterCode(page, ` ${login.code.toLowerCase()} `)
    await expectRequestShown(page, login.code)
    await page.locator('#approve').click()
    expect(await page.locator('#result').textContent()).to.equal('Approved — return to your terminal')

    const result = await login.result
    expectSignedIn(result)
    expectNoToken(result, await storedToken())
  })

  it('a BROWSER command that cannot start: one clear line on stderr, and difyctl keeps waiting for the approval', async () => {
    await emulator.control.patchConfig({auto_decide: {action: 'approve', after_polls: 2}})
    const result = await runCli(['auth', 'login', '--host', emulator.url, '--insecure'], {
      env: {...state.env, BROWSER: path.join(scratch, 'no-such-browser')},
    })
    expect(result.stderr).to.include(`Not opening a browser: the BROWSER command (${path.join(scratch, 'no-such-browser')}) could not start (not found); open the URL above yourself.`)
    expect(result.stderr).not.to.match(/\n\s+at /)
    expectSignedIn(result)
    expectNoToken(result)
  })
})
