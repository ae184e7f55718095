import {expect} from 'chai'

import {createHttpClient} from '../../../src/lib/api/http-client.js'
import {
  displayTimestamp,
  fetchAllSessions,
  listSessionPage,
  parseTimestamp,
  readSessionPage,
  revokeOwnSession,
  revokeSessionById,
} from '../../../src/lib/api/sessions.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {sessionRow} from '../../support/fake-sessions.js'
import {instantClock} from '../../support/instant-clock.js'
import {type ScriptedHandler, type ScriptedServer, scriptedServers, sendJson} from '../../support/scripted-server.js'
import {failure} from '../../support/failure.js'

const TOKEN = 'dfoa_' + 'S'.repeat(43)
const serve = scriptedServers()

function clientFor(server: ScriptedServer) {
  const clock = instantClock()
  return createHttpClient({baseUrl: server.url, clock, env: {}, random: () => 0.5, retry: {attempts: 2, baseDelayMs: 1}, token: TOKEN, userAgent: 'difyctl/0.1.0 (linux; x64)'})
}


/** A paging server over `rows`, like protocol §6.1. */
function pagingServer(rows: ReturnType<typeof sessionRow>[]): ScriptedHandler {
  return (request, response) => {
    const url = new URL(request.url, 'http://x')
    const page = Number(url.searchParams.get('page'))
    const limit = Number(url.searchParams.get('limit'))
    sendJson(response, 200, {data: rows.slice((page - 1) * limit, page * limit), has_more: page * limit < rows.length, limit, page, total: rows.length})
  }
}

const validPage = (data: unknown[], extra: Record<string, unknown> = {}) => ({data, has_more: false, limit: 20, page: 1, total: data.length, ...extra})

describe('api/sessions', () => {
  describe('timestamps', () => {
    it('accepts both spellings of the protocol (Z and +00:00), with or without fractional seconds', () => {
      const at = Date.UTC(2026, 5, 2, 9, 14, 31)
      expect(parseTimestamp('2026-06-02T09:14:31Z')).to.equal(at)
      expect(parseTimestamp('2026-06-02T09:14:31.123456Z')).to.equal(at + 123)
      expect(parseTimestamp('2026-06-16T09:14:31.123456+00:00')).to.equal(Date.UTC(2026, 5, 16, 9, 14, 31, 123))
      expect(parseTimestamp('2026-06-02T11:14:31+02:00')).to.equal(at)
    })

    it('rejects what is not a timestamp', () => {
      for (const text of ['', 'yesterday', '2026-06-02', '2026-06-02 09:14:31Z', '2026-02-31T09:14:31Z', '2026-06-02T09:14:31']) {
        expect(parseTimestamp(text), text).to.equal(undefined)
      }
    })

    it('shows UTC to the second, as the command reference does', () => {
      expect(displayTimestamp('2026-06-02T09:14:31.123456Z')).to.equal('2026-06-02T09:14:31Z')
      expect(displayTimestamp('2026-06-16T09:14:31.999999+00:00')).to.equal('2026-06-16T09:14:31Z')
      expect(displayTimestamp('2026-06-02T09:14:31Z')).to.equal('2026-06-02T09:14:31Z')
    })
  })

  describe('readSessionPage', () => {
    it('keeps the seven fields as sent, ignores unknown members, and defaults absent optional ones', () => {
      const row = {...sessionRow(1), extra: 'ignored', last_used_at: '2026-06-10T22:51:44Z'}
      const page = readSessionPage(validPage([row], {future: true}), 'h')
      expect(page.data).to.deep.equal([{...sessionRow(1), last_used_at: '2026-06-10T22:51:44Z'}])
      const bare = readSessionPage(validPage([{created_at: '2026-06-02T09:14:31Z', id: 'x'}]), 'h')
      expect(bare.data[0]).to.deep.equal({client_id: '', created_at: '2026-06-02T09:14:31Z', device_label: '', expires_at: null, id: 'x', last_used_at: null, prefix: ''})
    })

    it('fails with bad_response on a body of the wrong shape, naming what is wrong', () => {
      const cases: Array<[unknown, string]> = [
        [[], 'not a JSON object'],
        [{...validPage([]), page: 0}, 'page'],
        [{...validPage([]), total: '3'}, 'total'],
        [{...validPage([]), has_more: 'no'}, 'has_more'],
        [{...validPage([]), data: {}}, 'data is not an array'],
        [validPage([{...sessionRow(1), id: ''}]), 'data[0].id'],
        [validPage([{...sessionRow(1), id: 7}]), 'data[0].id'],
        [validPage([{...sessionRow(1), created_at: 'soon'}]), 'data[0].created_at'],
        [validPage([{...sessionRow(1), last_used_at: 5}]), 'data[0].last_used_at'],
        [validPage([sessionRow(1), 'row']), 'data[1]'],
      ]
      for (const [body, what] of cases) {
        let caught: unknown
        try {
          readSessionPage(body, 'dify.example.com')
        } catch (error) {
          caught = error
        }

        expect(caught, what).to.be.instanceOf(DifyError)
        expect((caught as DifyError).code).to.equal('bad_response')
        expect((caught as DifyError).message).to.include(what).and.include('dify.example.com')
      }
    })
  })

  describe('listSessionPage', () => {
    it('sends GET account/sessions with only page and limit, and the bearer token', async () => {
      const server = await serve((_request, response) => sendJson(response, 200, validPage([sessionRow(1)], {limit: 5, page: 3})))
      const page = await listSessionPage(clientFor(server), {limit: 5, page: 3})
      expect(page.page).to.equal(3)
      expect(server.requests).to.have.length(1)
      expect(server.requests[0].method).to.equal('GET')
      expect(server.requests[0].url).to.equal('/openapi/v1/account/sessions?limit=5&page=3')
      expect(server.requests[0].headers.authorization).to.equal(`Bearer ${TOKEN}`)
    })
  })

  describe('fetchAllSessions', () => {
    it('walks 450 sessions in pages of 200 until has_more is false', async () => {
      const rows = Array.from({length: 450}, (_, index) => sessionRow(index))
      const server = await serve(pagingServer(rows))
      const all = await fetchAllSessions(clientFor(server))
      expect(all.map((row) => row.id)).to.deep.equal(rows.map((row) => row.id))
      expect(server.requests.map((request) => request.url)).to.deep.equal([
        '/openapi/v1/account/sessions?limit=200&page=1',
        '/openapi/v1/account/sessions?limit=200&page=2',
        '/openapi/v1/account/sessions?limit=200&page=3',
      ])
    })

    it('keeps a row once when it shows up again on the next page (a session came or went meanwhile)', async () => {
      const rows = Array.from({length: 5}, (_, index) => sessionRow(index))
      const server = await serve((request, response) => {
        const page = Number(new URL(request.url, 'http://x').searchParams.get('page'))
        // Page 2 starts one row early, as if a new session had pushed every row down by one.
        const data = page === 1 ? rows.slice(0, 3) : rows.slice(2)
        sendJson(response, 200, {data, has_more: page === 1, limit: 3, page, total: 5})
      })
      const all = await fetchAllSessions(clientFor(server), {limit: 3})
      expect(all.map((row) => row.id)).to.deep.equal(rows.map((row) => row.id))
    })

    it('F14: stops with bad_response when every page repeats the same rows with has_more true', async () => {
      const server = await serve((request, response) => {
        const page = Number(new URL(request.url, 'http://x').searchParams.get('page'))
        sendJson(response, 200, {data: [sessionRow(1), sessionRow(2)], has_more: true, limit: 200, page, total: 9999})
      })
      const error = await failure(fetchAllSessions(clientFor(server)))
      expect(error.code).to.equal('bad_response')
      expect(error.exitCode).to.equal(1)
      expect(error.message).to.include('repeated rows')
      expect(server.requests).to.have.length(2)
    })

    it('F14: stops when a page is empty yet says has_more, or echoes another page number', async () => {
      const empty = await serve((request, response) => sendJson(response, 200, {data: [], has_more: true, limit: 200, page: 1, total: 3}))
      expect((await failure(fetchAllSessions(clientFor(empty)))).message).to.include('empty yet has_more')
      const stuck = await serve((_request, response) => sendJson(response, 200, {data: [sessionRow(Math.floor(Math.random() * 1e6))], has_more: true, limit: 200, page: 1, total: 3}))
      const error = await failure(fetchAllSessions(clientFor(stuck)))
      expect(error.message).to.include('asked for page 2, it answered page 1')
      expect(stuck.requests).to.have.length(2)
    })

    it('F14: stops at the hard page cap when every page brings new rows forever', async () => {
      let counter = 0
      const server = await serve((request, response) => {
        const page = Number(new URL(request.url, 'http://x').searchParams.get('page'))
        sendJson(response, 200, {data: [sessionRow(counter++)], has_more: true, limit: 200, page, total: 1})
      })
      const error = await failure(fetchAllSessions(clientFor(server), {maxPages: 7}))
      expect(error.code).to.equal('bad_response')
      expect(error.message).to.include('more than 7 pages')
      expect(server.requests).to.have.length(7)
    })
  })

  describe('revokes', () => {
    it('sends DELETE account/sessions/{id} with the id URL-encoded', async () => {
      const server = await serve((_request, response) => sendJson(response, 200, {status: 'revoked'}))
      const answer = await revokeSessionById(clientFor(server), 'a/b?c d', {now: () => 0})
      expect(answer).to.deep.equal({outcome: 'revoked'})
      expect(server.requests[0].method).to.equal('DELETE')
      expect(server.requests[0].url).to.equal('/openapi/v1/account/sessions/a%2Fb%3Fc%20d')
      expect(server.requests[0].headers.authorization).to.equal(`Bearer ${TOKEN}`)
    })

    it('answers not_found for a 404 (not a session of this account, or gone)', async () => {
      const server = await serve((_request, response) => sendJson(response, 404, {code: 'not_found', message: 'session not found', status: 404}))
      expect(await revokeSessionById(clientFor(server), 'x', {now: () => 0})).to.deep.equal({outcome: 'not_found'})
    })

    it('hands a 429 back with its Retry-After instead of waiting itself (the batch paces itself)', async () => {
      const server = await serve((_request, response) => sendJson(response, 429, {code: 'too_many_requests', message: 'rate_limited', status: 429}, {'Retry-After': '17'}))
      expect(await revokeSessionById(clientFor(server), 'x', {now: () => 0})).to.deep.equal({outcome: 'rate_limited', retryAfterS: 17})
      expect(server.requests).to.have.length(1)
    })

    it('maps 401 to auth_expired (exit 4)', async () => {
      const server = await serve((_request, response) => sendJson(response, 401, {code: 'unauthorized', message: 'invalid bearer', status: 401}))
      const error = await failure(revokeSessionById(clientFor(server), 'x', {now: () => 0}))
      expect(error.code).to.equal('auth_expired')
      expect(error.exitCode).to.equal(4)
    })

    it('refuses ids that are dot segments, which URL parsing would turn into another route', async () => {
      const server = await serve((_request, response) => sendJson(response, 200, {status: 'revoked'}))
      for (const id of ['.', '..']) {
        expect((await failure(revokeSessionById(clientFor(server), id, {now: () => 0}))).code).to.equal('bad_response')
      }

      expect(server.requests).to.have.length(0)
    })

    it('revokes its own session through sessions/self', async () => {
      const server = await serve((_request, response) => sendJson(response, 200, {status: 'revoked'}))
      await revokeOwnSession(clientFor(server))
      expect(server.requests[0].url).to.equal('/openapi/v1/account/sessions/self')
      expect(server.requests[0].method).to.equal('DELETE')
    })
  })
})
