import {expect} from 'chai'
import yaml from 'js-yaml'

import {fastLoadHostsYaml} from '../../../src/lib/config/hosts-fast-load.js'
import {emptyHostsFile, type HostsFile, READ_SCHEMA, serializeHostsFile} from '../../../src/lib/config/hosts.js'
import {hostsWith} from '../../support/fakes.js'

/**
 * The fast loader's contract: for any text, it either declines (undefined) or returns exactly what
 * js-yaml returns with the hosts schema, key order included; and it declines every text js-yaml
 * rejects, so error messages (file and line) keep coming from js-yaml.
 */
function reference(text: string): {value: unknown} | {error: unknown} {
  try {
    return {value: yaml.load(text, {schema: READ_SCHEMA})}
  } catch (error) {
    return {error}
  }
}

function expectAgreement(text: string, context = ''): boolean {
  const fast = fastLoadHostsYaml(text)
  if (fast === undefined) return false
  const ref = reference(text)
  const where = `${context}\n--- text ---\n${JSON.stringify(text)}`
  expect('error' in ref, `js-yaml rejects what the fast loader accepted${where}`).to.equal(false)
  const value = (ref as {value: unknown}).value
  expect(fast.value, where).to.deep.equal(value)
  expect(JSON.stringify(fast.value), `key order${where}`).to.equal(JSON.stringify(value))
  return true
}

/** Small seeded generator, so a failure can be replayed from the seed in its message. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

// Pieces that mean something to YAML, or to this loader's character checks.
const PIECES = [
  'a', 'Zed', '0', '42', ' ', ':', ': ', '#', ' #', '-', '- ', '?', '"', "'", '\\', '\\n', '\\x41', '{', '}', '[', ']', ',', '&a', '*a',
  '!', '!!str', '|', '>', '%', '@', '`', '~', '.', '/', '+', '_', '\t', '\n', '\r', '\u00a0', '\u0085', '\u2028', 'é', '中文', '😀',
  '\ud800', '\u0007', '\u007f', '\ufeff', 'null', 'Null', 'true', 'False', 'yes', '0x1F', '1e3', '.inf', '<<', '=', 'dify.example.com',
  'https://x.example/a?b=1', '2026-06-02T09:00:00Z', '[::1]:8080', 'x@y.z', '__proto__', '...', '---',
]

function nastyString(next: () => number, allowEmpty = true): string {
  const count = Math.floor(next() * 5) + (allowEmpty ? 0 : 1)
  let text = ''
  for (let index = 0; index < count; index++) text += PIECES[Math.floor(next() * PIECES.length)]
  return text
}

function maybe<T>(next: () => number, value: () => T): T | null {
  return next() < 0.3 ? null : value()
}

function generatedFile(next: () => number): HostsFile {
  const file = emptyHostsFile()
  const hostCount = Math.floor(next() * 4)
  for (let h = 0; h < hostCount; h++) {
    const host = next() < 0.5 ? `host-${h}.example.com` : nastyString(next, false)
    const accounts: HostsFile['hosts'][string]['accounts'] = {}
    const accountCount = Math.floor(next() * 3)
    for (let a = 0; a < accountCount; a++) {
      const email = next() < 0.5 ? `user${a}@example.com` : nastyString(next, false)
      accounts[email] = {
        accountId: maybe(next, () => nastyString(next)),
        email,
        name: next() < 0.5 ? `User ${a}` : nastyString(next),
        subjectIssuer: maybe(next, () => nastyString(next)),
        subjectType: next() < 0.8 ? 'account' : 'external_sso',
        tokenExpiresAt: maybe(next, () => '2026-06-02T09:00:00.000Z'),
        tokenId: maybe(next, () => nastyString(next)),
        tokenStorage: next() < 0.5 ? 'sealed-file' : next() < 0.5 ? 'keychain' : null,
        workspace: maybe(next, () => ({id: nastyString(next), name: nastyString(next), ...(next() < 0.5 ? {role: nastyString(next)} : {})})),
      }
    }

    file.hosts[host] = {accounts, baseUrl: next() < 0.5 ? `https://${host}` : nastyString(next), currentAccount: maybe(next, () => Object.keys(accounts)[0] ?? 'x')}
  }

  file.currentHost = maybe(next, () => Object.keys(file.hosts)[0] ?? nastyString(next))
  return file
}

function serialize(file: HostsFile): string | undefined {
  try {
    return serializeHostsFile(file)
  } catch {
    return undefined // js-yaml cannot write it (e.g. a lone surrogate): not a file difyctl could have written
  }
}

function mutate(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1))
  const lines = text.split('\n')
  const line = Math.floor(next() * lines.length)
  switch (Math.floor(next() * 6)) {
    case 0: {
      return text.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + text.slice(at)
    }

    case 1: {
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 3))
    }

    case 2: {
      lines.splice(line, 0, lines[line])
      return lines.join('\n')
    }

    case 3: {
      lines[line] = next() < 0.5 ? ` ${lines[line]}` : lines[line].replace(/^ {1,2}/, '')
      return lines.join('\n')
    }

    case 4: {
      const newline = text.indexOf('\n', at)
      return newline < 0 ? text : text.slice(0, newline) + text.slice(newline + 1)
    }

    default: {
      return text.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + text.slice(at + 1)
    }
  }
}

describe('config: hosts.yml fast loader', () => {
  it('reads a 1,000-context file difyctl wrote without js-yaml, and exactly as js-yaml does', () => {
    const contexts = Array.from({length: 1000}, (_, index) => ({email: `user-${index % 10}@example.com`, host: `dify-${Math.floor(index / 10)}.example.com`}))
    const text = serializeHostsFile(hostsWith(contexts))
    expect(expectAgreement(text), 'the fast loader declined a file difyctl wrote').to.equal(true)
  })

  it('accepts the shapes difyctl writes: nulls, booleans, {}, quoted keys and values, comments and blank lines', () => {
    const accepted = [
      'version: 1\ncurrent_host: null\nhosts: {}\n',
      '# header\nversion: 1\ncurrent_host: ~\nhosts:\n  "[::1]:8080":\n    base_url: http://[::1]:8080\n    current_account:\n    accounts: {}\n',
      'version: 1\nhosts:\n  a.example:\n    accounts:\n      "x@y": \n        name: "12.10"\n        flag: True\n        other: \'it\'\'s\'\n\n        # a note\n        last: "\\u00e9\\"\\\\"\n',
      'version: 1\nhosts:\n  127.0.0.1:5001:\n    base_url: http://127.0.0.1:5001/prefix\n    name: José 中文 😀\n',
    ]
    for (const text of accepted) expect(expectAgreement(text), JSON.stringify(text)).to.equal(true)
  })

  it('declines what it does not fully understand, and everything js-yaml rejects', () => {
    const declined = [
      '',
      '# only a comment\n',
      '  version: 1\n',
      'version: 1 # trailing comment\n',
      'hosts: [a, b]\n',
      'hosts: {a: 1}\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      'a: b\n  c: d\n',
      'a:\n    b: 1\n  c: 2\n',
      'a: 1\na: 2\n',
      'a:\na: 1\n',
      'null: 1\n',
      'True: 1\n',
      '__proto__: 1\n',
      'a: "unterminated\n',
      'a: "\\x41"\n',
      'a:\tb\n',
      'a: b\r\n',
      '\ufeffa: b\n',
      'a: b\u0007\n',
      'a: name\n  continued\n',
      '---\na: b\n',
      '- a\n',
      'a: b: c\n',
      'a:b\n',
    ]
    for (const text of declined) expect(fastLoadHostsYaml(text), JSON.stringify(text)).to.equal(undefined)
  })

  it('agrees with js-yaml on 2,000 generated files with hostile strings', () => {
    const seed = 20_260_602
    const next = random(seed)
    let accepted = 0
    let written = 0
    for (let index = 0; index < 2000; index++) {
      const text = serialize(generatedFile(next))
      if (text === undefined) continue
      written++
      if (expectAgreement(text, `seed ${seed}, file ${index}`)) accepted++
    }

    // The test means something only if the fast path is taken often, and also declines often.
    expect(accepted, `${accepted} of ${written} accepted`).to.be.greaterThan(written * 0.3)
    expect(accepted, `${accepted} of ${written} accepted`).to.be.lessThan(written)
  })

  it('agrees with js-yaml on 10,000 mutated files, and declines every one js-yaml rejects', () => {
    const seed = 7_000_001
    const next = random(seed)
    const base = serializeHostsFile(hostsWith([{email: 'a@example.com', host: 'one.example.com'}, {email: 'b@example.com', host: 'one.example.com'}, {email: 'c@x.io', host: 'two.example.com:8080', name: 'Zoë 12.10'}]))
    let accepted = 0
    let rejectedByJsYaml = 0
    for (let index = 0; index < 10_000; index++) {
      let text = base
      const edits = 1 + Math.floor(next() * 3)
      for (let edit = 0; edit < edits; edit++) text = mutate(text, next)
      const ref = reference(text)
      if ('error' in ref) {
        rejectedByJsYaml++
        expect(fastLoadHostsYaml(text), `js-yaml rejects it (seed ${seed}, case ${index}): ${JSON.stringify(text)}`).to.equal(undefined)
      } else if (expectAgreement(text, `seed ${seed}, case ${index}`)) {
        accepted++
      }
    }

    expect(accepted).to.be.greaterThan(1000)
    expect(rejectedByJsYaml).to.be.greaterThan(1000)
  })
})
