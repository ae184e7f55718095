import {expect} from 'chai'

import {DEFAULT_LIMIT, listDevices, resolvePaging, sessionTable} from '../../../src/lib/auth/devices-list.js'
import type {ResolvedContext} from '../../../src/lib/config/registry.js'
import {getContext} from '../../../src/lib/config/registry.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {FakeSessionsClient, sessionRow} from '../../support/fake-sessions.js'
import {hostsWith} from '../../support/fakes.js'
import {thrown} from '../../support/failure.js'

function contextWithToken(tokenId: string | null): ResolvedContext {
  const file = hostsWith([{email: 'you@company.com', host: 'dify.example.com'}])
  const context = getContext(file, {email: 'you@company.com', host: 'dify.example.com'})!
  context.account.tokenId = tokenId
  return context
}


describe('auth/devices-list', () => {
  describe('resolvePaging', () => {
    it('defaults to page 1 and limit 20', () => {
      expect(resolvePaging({}, {})).to.deep.equal({limit: DEFAULT_LIMIT, limitFrom: 'default', page: 1})
    })

    it('the flag wins over DIFY_LIMIT, which wins over the default; an empty DIFY_LIMIT is unset', () => {
      expect(resolvePaging({limit: '50'}, {DIFY_LIMIT: '7'})).to.include({limit: 50, limitFrom: 'flag'})
      expect(resolvePaging({}, {DIFY_LIMIT: '7'})).to.include({limit: 7, limitFrom: 'env'})
      expect(resolvePaging({}, {DIFY_LIMIT: ' '})).to.include({limit: 20, limitFrom: 'default'})
      expect(resolvePaging({limit: '200', page: '3'}, {})).to.include({limit: 200, page: 3})
      expect(resolvePaging({limit: '1'}, {})).to.include({limit: 1})
    })

    it('rejects a limit out of 1..200 or not an integer as invalid_flag (exit 2), naming its source', () => {
      for (const raw of ['0', '201', 'abc', '', '1.5', '-3', '1e2', '99999999999999999999']) {
        const error = thrown(() => resolvePaging({limit: raw}, {}))
        expect(error.code, raw).to.equal('invalid_flag')
        expect(error.exitCode).to.equal(2)
        expect(error.message).to.include('--limit').and.include('1 to 200').and.include(`"${raw}"`)
      }

      const fromEnv = thrown(() => resolvePaging({}, {DIFY_LIMIT: '500'}))
      expect(fromEnv.message).to.include('DIFY_LIMIT')
      expect(fromEnv.exitCode).to.equal(2)
      // A good flag makes a bad DIFY_LIMIT irrelevant: the flag wins.
      expect(resolvePaging({limit: '5'}, {DIFY_LIMIT: 'bogus'}).limit).to.equal(5)
    })

    it('rejects a page below 1 or not an integer', () => {
      for (const raw of ['0', '-1', 'two', '']) {
        const error = thrown(() => resolvePaging({page: raw}, {}))
        expect(error.code, raw).to.equal('invalid_flag')
        expect(error.message).to.include('--page')
      }
    })
  })

  describe('sessionTable', () => {
    it('shows DEVICE, CREATED, LAST USED and CURRENT, with * on this sign-in and an empty LAST USED for null', () => {
      const mine = sessionRow(1, {created_at: '2026-06-02T09:14:31.123456Z', device_label: 'difyctl on Yours-MacBook-Pro', last_used_at: '2026-06-11T08:02:17Z'})
      const other = sessionRow(2, {created_at: '2026-05-28T11:40:09+00:00', device_label: 'difyctl on build-runner-3', last_used_at: null})
      expect(sessionTable([mine, other], mine.id)).to.equal(
        [
          'DEVICE                        CREATED               LAST USED             CURRENT',
          'difyctl on Yours-MacBook-Pro  2026-06-02T09:14:31Z  2026-06-11T08:02:17Z  *',
          'difyctl on build-runner-3     2026-05-28T11:40:09Z',
          '',
        ].join('\n'),
      )
    })

    it('strips terminal control sequences from server-supplied labels', () => {
      const table = sessionTable([sessionRow(1, {device_label: 'evil\u001B[2J\u001B]0;title\u0007 label\nnext'})], null)
      expect(table).to.not.match(/[\u0000-\u0009\u000B-\u001F]/)
      expect(table).to.include('evil label next')
    })
  })

  describe('listDevices', () => {
    it('checks the flags before connecting, so a bad --limit sends nothing', async () => {
      let connected = false
      let error: unknown
      try {
        await listDevices({
          connect: async () => {
            connected = true
            throw new Error('should not connect')
          },
          env: {},
          limit: '0',
        })
      } catch (caughtError) {
        error = caughtError
      }

      expect((error as DifyError).code).to.equal('invalid_flag')
      expect(connected).to.equal(false)
    })

    it('returns the page as data (for --json) and the table, with a next-page hint on stderr', async () => {
      const rows = Array.from({length: 45}, (_, index) => sessionRow(index))
      const client = new FakeSessionsClient(rows)
      const notices: string[] = []
      const result = await listDevices({
        connect: async () => ({client, context: contextWithToken(rows[3].id)}),
        env: {},
        limit: '20',
        notice: (line) => notices.push(line),
        page: '2',
      })
      expect(result.data).to.deep.equal({data: rows.slice(20, 40), has_more: true, limit: 20, page: 2, total: 45})
      expect(client.requests.map((request) => request.query)).to.deep.equal([{limit: 20, page: 2}])
      expect(result.human.split('\n')[0]).to.match(/^DEVICE\s+CREATED\s+LAST USED\s+CURRENT$/)
      expect(result.human.trimEnd().split('\n')).to.have.length(21)
      expect(result.human).to.not.include('*')
      expect(notices).to.deep.equal(['page 2: 20 of 45 sessions; next page: difyctl auth devices list --page 3 --limit 20'])
    })

    it('a page past the end prints nothing on stdout and says so on stderr', async () => {
      const client = new FakeSessionsClient([sessionRow(1)])
      const notices: string[] = []
      const result = await listDevices({connect: async () => ({client, context: contextWithToken(null)}), env: {}, notice: (line) => notices.push(line), page: '9'})
      expect(result.human).to.equal('')
      expect(result.data.data).to.deep.equal([])
      expect(notices).to.deep.equal(['no sessions on page 9 (1 in all; try a lower --page)'])
    })
  })
})
