import {expect} from 'chai'

import type {SessionRecord} from '../../../src/lib/api/sessions.js'
import {checkRevokeArguments, matchSession, revokeDevices, type RevokeDevicesOptions} from '../../../src/lib/auth/devices-revoke.js'
import {getContext, type ResolvedContext} from '../../../src/lib/config/registry.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {FakeSessionsClient, sessionRow} from '../../support/fake-sessions.js'
import {hostsWith, ManualClock, MemoryHosts} from '../../support/fakes.js'
import {failure, thrown} from '../../support/failure.js'



const HOST = 'dify.example.com'
const EMAIL = 'you@company.com'

/** A signed-in machine whose own session is `rows[0]`, plus the fakes a revoke touches. */
function setup(rows: SessionRecord[], overrides: Partial<RevokeDevicesOptions> = {}) {
  const hosts = new MemoryHosts(hostsWith([{email: EMAIL, host: HOST}, {email: 'bot@company.com', host: HOST}], {email: EMAIL, host: HOST}))
  hosts.file.hosts[HOST].accounts[EMAIL].tokenId = rows[0]?.id ?? null
  const client = new FakeSessionsClient(rows)
  const asked: string[] = []
  const notices: string[] = []
  const deleted: string[] = []
  let connected = 0
  const options: RevokeDevicesOptions = {
    all: false,
    clock: new ManualClock(),
    async confirm(message) {
      asked.push(message)
      return true
    },
    async connect() {
      connected += 1
      const context = getContext(await hosts.read(), {email: EMAIL, host: HOST}) as ResolvedContext
      return {client, context}
    },
    async deleteToken(context) {
      deleted.push(`${context.host}/${context.email}`)
    },
    hosts,
    interactive: false,
    notice: (line) => notices.push(line),
    pageLimit: 200,
    yes: false,
    ...overrides,
  }
  return {asked, client, connected: () => connected, deleted, hosts, notices, options}
}

const labelled = (index: number, label: string) => sessionRow(index, {device_label: label})

describe('auth/devices-revoke', () => {
  describe('matchSession', () => {
    const sessions = [
      labelled(0, 'difyctl on build-runner-3'),
      labelled(1, 'difyctl on build-runner-30'),
      labelled(2, 'difyctl on Yours-MacBook-Pro'),
      labelled(3, 'vscode-plugin'),
    ]

    it('an exact label wins even when it is also a substring of other labels', () => {
      expect(matchSession(sessions, 'difyctl on build-runner-3').id).to.equal(sessions[0].id)
    })

    it('then an exact id', () => {
      expect(matchSession(sessions, sessions[3].id).id).to.equal(sessions[3].id)
      expect(matchSession(sessions, sessions[3].id.toUpperCase()).id).to.equal(sessions[3].id)
    })

    it('an exact id beats a substring of a label', () => {
      const tricky = [labelled(5, `old ${sessionRow(6).id}`), sessionRow(6)]
      expect(matchSession(tricky, sessionRow(6).id).id).to.equal(sessionRow(6).id)
    })

    it('then a case-insensitive label substring', () => {
      expect(matchSession(sessions, 'macbook').id).to.equal(sessions[2].id)
      expect(matchSession(sessions, 'VSCODE').id).to.equal(sessions[3].id)
    })

    it('an ambiguous substring fails with ambiguous_target (exit 2), listing each candidate with label and id', () => {
      const error = thrown(() => matchSession(sessions, 'runner'))
      expect(error.code).to.equal('ambiguous_target')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.include('"runner" matches 2 sessions')
      // Labels padded so the ids line up.
      expect(error.message).to.include(`difyctl on build-runner-3   ${sessions[0].id}`)
      expect(error.message).to.include(`difyctl on build-runner-30  ${sessions[1].id}`)
      expect(error.message).to.not.include(sessions[2].id)
    })

    it('two sessions with the same exact label (different clients) are ambiguous too', () => {
      const twins = [labelled(0, 'laptop'), {...labelled(1, 'laptop'), client_id: 'other'}]
      expect(thrown(() => matchSession(twins, 'laptop')).code).to.equal('ambiguous_target')
    })

    it('no match fails with no_match and the documented message', () => {
      const error = thrown(() => matchSession(sessions, 'nothing-like-it'))
      expect(error.code).to.equal('no_match')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.equal('no session matches "nothing-like-it"')
    })
  })

  describe('checkRevokeArguments', () => {
    it('needs a target or --all, and not both (exit 2)', () => {
      expect(thrown(() => checkRevokeArguments(undefined, false)).exitCode).to.equal(2)
      expect(thrown(() => checkRevokeArguments('  ', false)).exitCode).to.equal(2)
      expect(thrown(() => checkRevokeArguments('x', true)).exitCode).to.equal(2)
      checkRevokeArguments('x', false)
      checkRevokeArguments(undefined, true)
    })

    it('fails before connecting, so nothing is read or sent', async () => {
      const {connected, options} = setup([sessionRow(0)])
      expect((await failure(revokeDevices(options))).code).to.equal('usage_error')
      expect(connected()).to.equal(0)
    })
  })

  describe('revokeDevices', () => {
    it('revokes the one session a target names, outside a terminal without asking', async () => {
      const rows = [labelled(0, 'me'), labelled(1, 'difyctl on build-runner-3'), labelled(2, 'other')]
      const {asked, client, options} = setup(rows)
      const result = await revokeDevices({...options, target: 'build-runner'})
      expect(result.human).to.equal('✓ Revoked 1 session(s)\n')
      expect(client.revoked).to.deep.equal([rows[1].id])
      expect(asked).to.deep.equal([])
    })

    it('matches across all pages, not only the first', async () => {
      const rows = Array.from({length: 450}, (_, index) => labelled(index, `device ${index}`))
      const {client, options} = setup(rows, {pageLimit: 200})
      await revokeDevices({...options, target: 'device 449'})
      expect(client.revoked).to.deep.equal([rows[449].id])
      expect(client.requests.filter((request) => request.method === 'GET')).to.have.length(3)
    })

    it('in a terminal asks "Revoke <N> session(s)?" after listing them on stderr; yes revokes', async () => {
      const rows = [labelled(0, 'me'), labelled(1, 'a'), labelled(2, 'b')]
      const {asked, client, notices, options} = setup(rows, {interactive: true})
      await revokeDevices({...options, all: true})
      expect(asked).to.deep.equal(['Revoke 2 session(s)?'])
      expect(notices[0]).to.include(`a  ${rows[1].id}`).and.include(`b  ${rows[2].id}`)
      expect(client.revoked).to.have.members([rows[1].id, rows[2].id])
    })

    it('declining fails with declined (exit 2) and revokes nothing', async () => {
      const rows = [labelled(0, 'me'), labelled(1, 'a')]
      const {client, options} = setup(rows, {confirm: async () => false, interactive: true})
      const error = await failure(revokeDevices({...options, target: 'a'}))
      expect(error.code).to.equal('declined')
      expect(error.exitCode).to.equal(2)
      expect(client.revoked).to.deep.equal([])
      expect(client.requests.every((request) => request.method === 'GET')).to.equal(true)
    })

    it('-y skips the question in a terminal', async () => {
      const rows = [labelled(0, 'me'), labelled(1, 'a')]
      const {asked, client, options} = setup(rows, {interactive: true, yes: true})
      await revokeDevices({...options, target: 'a'})
      expect(asked).to.deep.equal([])
      expect(client.revoked).to.deep.equal([rows[1].id])
    })

    it('--all revokes every session but this sign-in\'s own, across pages', async () => {
      const rows = Array.from({length: 250}, (_, index) => sessionRow(index))
      const {client, hosts, options} = setup(rows)
      const result = await revokeDevices({...options, all: true})
      expect(result.human).to.equal('✓ Revoked 249 session(s)\n')
      expect(client.sessions.map((row) => row.id)).to.deep.equal([rows[0].id])
      expect(hosts.writes).to.equal(0)
    })

    it('--all with no other sessions prints "no sessions to revoke" and revokes nothing', async () => {
      const {client, options} = setup([sessionRow(0)], {interactive: true})
      const result = await revokeDevices({...options, all: true})
      expect(result.human).to.equal('no sessions to revoke\n')
      expect(client.revoked).to.deep.equal([])
    })

    it('--all refuses when it cannot tell which session is this sign-in\'s (it would revoke itself)', async () => {
      const rows = [sessionRow(0), sessionRow(1)]
      const {client, hosts, options} = setup(rows)
      hosts.file.hosts[HOST].accounts[EMAIL].tokenId = 'not-listed'
      const error = await failure(revokeDevices({...options, all: true}))
      expect(error.exitCode).to.equal(1)
      expect(client.revoked).to.deep.equal([])
    })

    it('revoking this sign-in\'s own session by id signs this machine out, keeping the account known', async () => {
      const rows = [labelled(0, 'me'), labelled(1, 'other')]
      const {client, deleted, hosts, notices, options} = setup(rows)
      const result = await revokeDevices({...options, target: rows[0].id})
      expect(result.human).to.equal('✓ Revoked 1 session(s)\n')
      expect(result.data.signed_out).to.equal(true)
      expect(client.revoked).to.deep.equal([rows[0].id])
      expect(deleted).to.deep.equal([`${HOST}/${EMAIL}`])
      const account = hosts.file.hosts[HOST].accounts[EMAIL]
      expect(account).to.include({tokenId: null, tokenStorage: null})
      expect(hosts.file.hosts[HOST].currentAccount).to.equal(null)
      expect(hosts.file.hosts[HOST].accounts['bot@company.com'].tokenStorage).to.equal('sealed-file')
      expect(notices.join('\n')).to.include('signed out of dify.example.com as you@company.com')
    })

    it('does not forget a newer sign-in that replaced the revoked one meanwhile', async () => {
      const rows = [labelled(0, 'me')]
      const {deleted, hosts, options} = setup(rows)
      const connect = options.connect
      await revokeDevices({
        ...options,
        async connect() {
          const connection = await connect()
          hosts.file.hosts[HOST].accounts[EMAIL].tokenId = 'newer-login'
          return connection
        },
        target: rows[0].id,
      })
      expect(hosts.file.hosts[HOST].accounts[EMAIL].tokenStorage).to.equal('sealed-file')
      expect(deleted).to.deep.equal([])
    })

    it('a partial failure is partial_failure (exit 1) saying how many were revoked and which ids failed', async () => {
      const rows = Array.from({length: 6}, (_, index) => sessionRow(index))
      const {options} = setup(rows)
      const failing = new Set([rows[2].id, rows[4].id])
      const client = new FakeSessionsClient(rows, {
        intercept: (request) =>
          request.method === 'DELETE' && failing.has(decodeURIComponent(request.path.split('/').at(-1)!)) ? new DifyError('server_error', 'HTTP 500') : undefined,
      })
      const error = await failure(revokeDevices({...options, all: true, connect: async () => ({client, context: (await options.connect()).context})}))
      expect(error.code).to.equal('partial_failure')
      expect(error.exitCode).to.equal(1)
      expect(error.message).to.include('revoked 3 of 5 session(s)')
      expect(error.message).to.include(rows[2].id).and.include(rows[4].id)
      expect(error.message).to.not.include(rows[1].id)
    })

    it('a dead token on the first revoke keeps its own exit code (4) and says nothing was revoked', async () => {
      const rows = [sessionRow(0), sessionRow(1), sessionRow(2)]
      const {options} = setup(rows)
      const client = new FakeSessionsClient(rows, {intercept: (request) => (request.method === 'DELETE' ? new DifyError('auth_expired', 'rejected') : undefined)})
      const error = await failure(revokeDevices({...options, all: true, concurrency: 1, connect: async () => ({client, context: (await options.connect()).context})}))
      expect(error.code).to.equal('auth_expired')
      expect(error.exitCode).to.equal(4)
      expect(error.message).to.include('revoked 0 of 2 session(s)')
    })

    it('Ctrl-C part-way stays an interruption (exit 130) and says how many were revoked', async () => {
      const rows = Array.from({length: 5}, (_, index) => sessionRow(index))
      const {options} = setup(rows)
      const controller = new AbortController()
      let deletes = 0
      const client = new FakeSessionsClient(rows, {
        intercept(request) {
          if (request.method !== 'DELETE') return undefined
          deletes += 1
          if (deletes === 3) {
            controller.abort(new DifyError('interrupted', 'interrupted'))
            return new DifyError('interrupted', 'interrupted')
          }

          return undefined
        },
      })
      const error = await failure(
        revokeDevices({...options, all: true, concurrency: 1, connect: async () => ({client, context: (await options.connect()).context}), signal: controller.signal}),
      )
      expect(error.code).to.equal('interrupted')
      expect(error.exitCode).to.equal(130)
      expect(error.message).to.include('revoked 2 of 4 session(s)')
    })

    it('a single target the server no longer knows (404) is no_match', async () => {
      const rows = [labelled(0, 'me'), labelled(1, 'other')]
      const {options} = setup(rows)
      const client = new FakeSessionsClient(rows, {
        intercept: (request) => (request.method === 'DELETE' ? {body: {code: 'not_found', message: 'session not found', status: 404}, headers: {}, status: 404} : undefined),
      })
      const error = await failure(revokeDevices({...options, connect: async () => ({client, context: (await options.connect()).context}), target: 'other'}))
      expect(error.code).to.equal('no_match')
      expect(error.message).to.include(rows[1].id)
    })
  })
})
