import {expect} from 'chai'
import {spawn} from 'node:child_process'
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAIN = join(ROOT, 'emulator', 'main.ts')

interface Running {
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
}

/** Spawns the program the way `npm run emulator` does and waits for its URL line. */
async function spawnEmulator(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line within 15 s; stderr: ${stderr}`)), 15_000)
    const check = (): void => {
      const line = stdout.split('\n')[0]
      if (stdout.includes('\n')) {
        clearTimeout(timer)
        try {
          resolve((JSON.parse(line) as {url: string}).url)
        } catch (error) {
          reject(error)
        }
      }
    }

    child.stdout!.on('data', check)
    void exit.then((code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code} before printing its URL; stderr: ${stderr}`))
    })
  })
  return {child, exit, stderr: () => stderr, stdout: () => stdout, url}
}

async function run(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c
  })
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return {code, stderr, stdout}
}

describe('emulator: the program (emulator/main.ts)', function () {
  this.timeout(30_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'difyctl-emulator-'))
  })
  after(() => rmSync(dir, {force: true, recursive: true}))

  it('prints exactly one URL line, serves, and exits 0 on SIGTERM', async () => {
    const emu = await spawnEmulator(['--port', '0'])
    expect(emu.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(emu.stdout()).to.equal(`${JSON.stringify({url: emu.url})}\n`)
    const health = await fetch(`${emu.url}/openapi/v1/_health`)
    expect(await health.json()).to.deep.equal({ok: true})
    emu.child.kill('SIGTERM')
    expect(await emu.exit).to.equal(0)
    expect(emu.stdout().split('\n').filter(Boolean)).to.have.length(1)
  })

  it('exits 0 on SIGINT as well', async () => {
    const emu = await spawnEmulator(['--port', '0'])
    emu.child.kill('SIGINT')
    expect(await emu.exit).to.equal(0)
  })

  it('binds the IPv6 loopback with --host ::1 and prints a bracketed URL', async () => {
    const emu = await spawnEmulator(['--port', '0', '--host', '::1'])
    try {
      expect(emu.url).to.match(/^http:\/\/\[::1\]:\d+$/)
      expect((await fetch(`${emu.url}/openapi/v1/_health`)).status).to.equal(200)
    } finally {
      emu.child.kill('SIGTERM')
      await emu.exit
    }
  })

  it('refuses a non-loopback --host with exit 2 and a clear message', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', 'localhost']) {
      const result = await run(['--port', '0', '--host', host])
      expect(result.code, host).to.equal(2)
      expect(result.stdout).to.equal('')
      expect(result.stderr).to.include(`--host ${host} refused`).and.include('loopback')
    }
  })

  it('refuses unknown flags and bad values with exit 2', async () => {
    expect((await run(['--bogus'])).code).to.equal(2)
    expect((await run(['--interval', 'soon'])).code).to.equal(2)
  })

  it('takes knobs and accounts from --config, flags on top, and auto-approves on the demo account', async () => {
    const file = join(dir, 'config.json')
    writeFileSync(
      file,
      JSON.stringify({
        accounts: [{email: 'alice@example.com', name: 'Alice', workspaces: [{current: true, name: 'A', role: 'owner'}]}],
        edition: 'CLOUD',
        interval_s: 3,
      }),
    )
    const emu = await spawnEmulator(['--port', '0', '--config', file, '--interval', '0', '--auto-approve', '2'])
    try {
      expect(await (await fetch(`${emu.url}/openapi/v1/_version`)).json()).to.deep.equal({edition: 'CLOUD', version: '1.18.0'})
      const config = (await (await fetch(`${emu.url}/_emulator/config`)).json()) as {auto_decide: unknown; interval_s: number}
      expect(config.interval_s).to.equal(0)
      expect(config.auto_decide).to.deep.equal({account: 'alice@example.com', action: 'approve', after_polls: 2})
      const post = (path: string, body: unknown) =>
        fetch(`${emu.url}/openapi/v1/${path}`, {body: JSON.stringify(body), headers: {'Content-Type': 'application/json'}, method: 'POST'})
      const code = (await (await post('oauth/device/code', {client_id: 'difyctl', device_label: 'difyctl on spawned'})).json()) as {device_code: string}
      const first = await post('oauth/device/token', {client_id: 'difyctl', device_code: code.device_code})
      expect(await first.json()).to.deep.equal({error: 'authorization_pending'})
      const second = await post('oauth/device/token', {client_id: 'difyctl', device_code: code.device_code})
      const payload = (await second.json()) as {account: {email: string}; token: string}
      expect(payload.account.email).to.equal('alice@example.com')
      emu.child.kill('SIGTERM')
      expect(await emu.exit).to.equal(0)
      expect(emu.stderr()).to.not.include(payload.token)
    } finally {
      emu.child.kill('SIGKILL')
    }
  })

  it('refuses an invalid --config with exit 2', async () => {
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({interval_s: 'fast'}))
    const result = await run(['--config', file])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('interval_s')
    expect((await run(['--config', join(dir, 'missing.json')])).code).to.equal(2)
  })

  it('logs one stderr line per request with --verbose, without tokens', async () => {
    const emu = await spawnEmulator(['--port', '0', '--verbose', '--auto-approve', '0'])
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${emu.url}/openapi/v1/${path}`, {body: JSON.stringify(body), headers: {'Content-Type': 'application/json'}, method: 'POST'})
      const code = (await (await post('oauth/device/code', {client_id: 'difyctl', device_label: 'x'})).json()) as {device_code: string}
      const payload = (await (await post('oauth/device/token', {client_id: 'difyctl', device_code: code.device_code})).json()) as {token: string}
      await fetch(`${emu.url}/openapi/v1/account`, {headers: {Authorization: `Bearer ${payload.token}`}})
      emu.child.kill('SIGTERM')
      await emu.exit
      expect(emu.stderr()).to.include('POST /openapi/v1/oauth/device/token 200')
      expect(emu.stderr()).to.include('GET /openapi/v1/account 200')
      expect(emu.stderr()).to.not.include(payload.token)
    } finally {
      emu.child.kill('SIGKILL')
    }
  })
})
