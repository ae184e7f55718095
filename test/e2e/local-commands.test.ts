import {expect} from 'chai'
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {HostsStore} from '../../src/lib/config/hosts-store.js'
import {systemClock} from '../../src/lib/io/system.js'
import {BIN, runCli, tempState, type CliState} from '../support/cli.js'
import {hostsWith} from '../support/fakes.js'
import {seedTokens} from '../support/seed.js'

describe('e2e: local commands (whoami, list, use host, use account)', function () {
  this.timeout(60_000)
  let state: CliState
  const hostsPath = () => path.join(state.configDir, 'hosts.yml')

  beforeEach(() => {
    state = tempState()
  })
  afterEach(() => state.cleanup())

  async function seed(file = hostsWith(
    [
      {accountId: '3c90c3cc-0d44-4b50-8888-8dd25736052a', email: 'you@company.com', host: 'dify.example.com', name: 'Your Name'},
      {email: 'teammate-bot@company.com', host: 'dify.example.com', name: 'Bot'},
      {email: 'you@acme.com', host: 'dify.internal.acme.com', name: 'Your Name'},
    ],
    {email: 'you@company.com', host: 'dify.example.com'},
  )) {
    await new HostsStore({clock: systemClock, configDir: state.configDir}).update((current) => Object.assign(current, file))
    await seedTokens(state, file)
  }

  const cli = (...args: string[]) => runCli(args, {env: state.env})

  it('auth whoami prints "<email> (<name>)"; --json prints one line with id, email and name', async () => {
    await seed()
    const plain = await cli('auth', 'whoami')
    expect(plain).to.include({code: 0, stdout: 'you@company.com (Your Name)\n'})
    const json = await cli('auth', 'whoami', '--json')
    expect(json.stdout.trimEnd().split('\n')).to.have.length(1)
    expect(JSON.parse(json.stdout)).to.deep.equal({email: 'you@company.com', id: '3c90c3cc-0d44-4b50-8888-8dd25736052a', name: 'Your Name'})
  })

  it('auth whoami when not signed in → exit 4 with a sign-in hint; with --json the error is one JSON line on stderr', async () => {
    const plain = await cli('auth', 'whoami')
    expect(plain.code).to.equal(4)
    expect(plain.stdout).to.equal('')
    expect(plain.stderr).to.match(/^not_logged_in: not signed in\nhint: run 'difyctl auth login --host <url>'\n$/)
    const json = await cli('auth', 'whoami', '--json')
    expect(json.code).to.equal(4)
    expect(JSON.parse(json.stderr).error.code).to.equal('not_logged_in')
    expect(json.stderr.trimEnd().split('\n')).to.have.length(1)
  })

  it('auth list: table, -o json, -o yaml, -o name', async () => {
    await seed()
    const table = await cli('auth', 'list')
    expect(table.stdout).to.equal(
      [
        'HOST                    ACCOUNT                         ACTIVE',
        'dify.example.com        you@company.com (Your Name)     *',
        'dify.example.com        teammate-bot@company.com (Bot)',
        'dify.internal.acme.com  you@acme.com (Your Name)',
        '',
      ].join('\n'),
    )
    const json = JSON.parse((await cli('auth', 'list', '-o', 'json')).stdout)
    expect(json.contexts[0]).to.deep.equal({account: 'you@company.com', active: true, host: 'dify.example.com', name: 'Your Name'})
    expect(json.contexts).to.have.length(3)
    expect((await cli('auth', 'list', '-o', 'yaml')).stdout).to.match(/^contexts:\n {2}- host: dify\.example\.com\n {4}account: you@company\.com\n/)
    expect((await cli('auth', 'list', '-o', 'name')).stdout).to.equal('you@company.com\nteammate-bot@company.com\nyou@acme.com\n')
  })

  it('auth list with no contexts exits 0; an unsupported -o is exit 2 (unsupported_format)', async () => {
    const empty = await cli('auth', 'list', '-o', 'json')
    expect(empty.code).to.equal(0)
    expect(JSON.parse(empty.stdout)).to.deep.equal({contexts: []})
    const bad = await cli('auth', 'list', '-o', 'xml')
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/^unsupported_format: /m)
  })

  it('an unknown flag is a usage error (exit 2) without a stack trace, as JSON when -o json was asked', async () => {
    const result = await cli('auth', 'list', '--bogus')
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/^usage_error: /)
    expect(result.stderr).not.to.match(/\n\s+at /)
    const json = await cli('auth', 'list', '-o', 'json', '--bogus')
    expect(JSON.parse(json.stderr).error.code).to.equal('usage_error')
  })

  it('an unknown command or a stray argument is a usage error in the usual format (exit 2), JSON with --json', async () => {
    const stray = await cli('auth', 'whoami', 'extra')
    expect(stray.code).to.equal(2)
    expect(stray.stderr).to.equal(`usage_error: unexpected argument "extra" for 'difyctl auth whoami'\nhint: run 'difyctl auth whoami --help' for usage\n`)
    const typo = await cli('auth', 'loign', '--json')
    expect(typo.code).to.equal(2)
    expect(JSON.parse(typo.stderr).error.hint).to.match(/^did you mean 'difyctl auth login'/)
    expect((await cli('auth', 'whoami', '-h')).stdout).to.include('USAGE')
  })

  it('-o name strips terminal control sequences from hand-edited or server-supplied names', async () => {
    await seed()
    writeFileSync(hostsPath(), readFileSync(hostsPath(), 'utf8').replace('you@acme.com:', '"ev\\e]0;T\\ail\\e[2J@acme.com":'))
    const names = await cli('auth', 'list', '-o', 'name')
    expect(names.code, names.stderr).to.equal(0)
    expect(names.stdout).to.include('evil@acme.com')
    expect(names.stdout).not.to.match(/[\u0000-\u0008\u001B\u007F]/)
  })

  it('a reader that closes the pipe early ends the run quietly (exit 0, no warning)', async () => {
    const {spawnSync} = await import('node:child_process')
    const run = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" --help | true; echo "exit=\${PIPESTATUS[0]}"`], {encoding: 'utf8'})
    expect(run.stdout.trim()).to.equal('exit=0')
    expect(run.stderr).to.equal('')
  })

  it('F04: an empty hosts.yml means no contexts (exit 0)', async () => {
    mkdirSync(state.configDir, {recursive: true})
    writeFileSync(hostsPath(), '')
    const result = await cli('auth', 'list')
    expect(result.code).to.equal(0)
    expect(result.stdout).to.equal('')
  })

  it('F04: a garbled hosts.yml is an error naming the file and line (exit 1), untouched; --version and --help still work', async () => {
    mkdirSync(state.configDir, {recursive: true})
    writeFileSync(hostsPath(), 'hosts: [')
    for (const args of [['auth', 'list'], ['auth', 'whoami'], ['use', 'host', '--domain', 'x'], ['use', 'account', '--email', 'x']]) {
      const result = await cli(...args)
      expect(result.code, args.join(' ')).to.equal(1)
      expect(result.stderr).to.match(new RegExp(`^config_corrupt: ${hostsPath().replaceAll('.', '\\.')}:\\d+: `))
    }

    expect(readFileSync(hostsPath(), 'utf8')).to.equal('hosts: [')
    const version = await cli('--version')
    expect(version.code).to.equal(0)
    expect(version.stdout).to.match(/^difyctl\/\d+\.\d+\.\d+/)
    expect((await cli('--help')).code).to.equal(0)
    expect((await cli('auth', 'list', '--help')).code).to.equal(0)
  })

  it('F06: hand-edited numeric-looking values come back as strings and are written back quoted', async () => {
    await seed()
    const edited = readFileSync(hostsPath(), 'utf8')
      .replace('account_id: 3c90c3cc-0d44-4b50-8888-8dd25736052a', 'account_id: 0012345')
      .replace(/name: Acme/g, 'name: 12.10')
    writeFileSync(hostsPath(), edited)
    const json = JSON.parse((await cli('auth', 'whoami', '--json')).stdout)
    expect(json.id).to.equal('0012345')
    const yaml = (await cli('auth', 'list', '-o', 'yaml')).stdout
    expect(yaml).to.include('account: you@company.com')
    expect((await cli('use', 'account', '--email', 'teammate-bot@company.com')).code).to.equal(0)
    const rewritten = readFileSync(hostsPath(), 'utf8')
    expect(rewritten).to.include('account_id: "0012345"')
    expect(rewritten).to.include('name: "12.10"')
    expect(JSON.parse((await cli('auth', 'whoami', '--json')).stdout).name).to.equal('Bot')
  })

  it('use host switches and confirms; F07: a differently written domain finds the one context', async () => {
    await seed()
    const result = await cli('use', 'host', '--domain', 'DIFY.internal.acme.com')
    expect(result).to.include({code: 0, stdout: '✓ Active host is now dify.internal.acme.com\n'})
    expect((await cli('auth', 'whoami')).stdout).to.equal('you@acme.com (Your Name)\n')
    expect((await cli('use', 'host', '--domain', 'dify.example.com')).code).to.equal(0)
  })

  it('use host with an unknown domain → exit 2 listing the known hosts; with no sign-ins → exit 4', async () => {
    expect((await cli('use', 'host', '--domain', 'dify.example.com')).code).to.equal(4)
    await seed()
    const result = await cli('use', 'host', '--domain', 'nope.example.com')
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/^unknown_host: /)
    expect(result.stderr).to.include('dify.example.com, dify.internal.acme.com')
  })

  it('use account switches; an unknown email → exit 2 listing accounts', async () => {
    await seed()
    const result = await cli('use', 'account', '--email', 'teammate-bot@company.com')
    expect(result).to.include({code: 0, stdout: '✓ Active account on dify.example.com is now teammate-bot@company.com\n'})
    const unknown = await cli('use', 'account', '--email', 'who@company.com')
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.include('teammate-bot@company.com')
  })

  it('F08: use account / use host with stdin from /dev/null → immediate exit 2 naming the flag; nothing on stdout', async () => {
    await seed()
    for (const [args, flag] of [
      [['use', 'account'], '--email'],
      [['use', 'host'], '--domain'],
    ] as const) {
      const started = Date.now()
      const result = await runCli(args, {env: state.env, timeoutMs: 10_000})
      expect(result.code).to.equal(2)
      expect(result.stderr).to.include(flag)
      expect(result.stdout).to.equal('')
      expect(Date.now() - started).to.be.lessThan(5000)
    }
  })

  it('state files are 0600 in a 0700 directory', async () => {
    await seed()
    await cli('use', 'host', '--domain', 'dify.internal.acme.com')
    expect(statSync(hostsPath()).mode & 0o777).to.equal(0o600)
    expect(statSync(state.configDir).mode & 0o777).to.equal(0o700)
  })

  it('20 concurrent use host / use account processes leave a valid hosts.yml with no context lost', async () => {
    await seed()
    const runs = Array.from({length: 20}, (_, index) =>
      index % 2 === 0
        ? cli('use', 'host', '--domain', index % 4 === 0 ? 'dify.example.com' : 'dify.internal.acme.com')
        : cli('use', 'account', '--email', index % 3 === 0 ? 'you@company.com' : 'teammate-bot@company.com'),
    )
    const results = await Promise.all(runs)
    for (const result of results) expect([0, 2], result.stderr).to.include(result.code)
    const list = JSON.parse((await cli('auth', 'list', '-o', 'json')).stdout)
    expect(list.contexts.map((context: {account: string}) => context.account).sort()).to.deep.equal([
      'teammate-bot@company.com',
      'you@acme.com',
      'you@company.com',
    ])
  })
})
