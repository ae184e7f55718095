import {expect} from 'chai'

import {EXIT_CODES} from '../../../src/lib/errors/codes.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {toDifyError} from '../../../src/lib/errors/normalize.js'
import {renderHuman, renderJson} from '../../../src/lib/errors/render.js'

describe('errors', () => {
  it('maps every code to one of the documented exit codes', () => {
    for (const exit of Object.values(EXIT_CODES)) expect([1, 2, 4, 6, 7, 130]).to.include(exit)
  })

  it('renders the human form with code, hint and HTTP facts, stripping control characters', () => {
    const error = new DifyError('auth_expired', 'token rejected \u001B[2J', {
      hint: 'sign in again',
      http: {method: 'GET', status: 401, url: 'https://h/openapi/v1/account/sessions'},
    })
    expect(renderHuman(error)).to.equal(
      'auth_expired: token rejected \nhint: sign in again\nrequest: GET https://h/openapi/v1/account/sessions\nhttp_status: 401\n',
    )
  })

  it('renders the machine form as exactly one JSON line with the envelope', () => {
    const line = renderJson(new DifyError('rate_limited', 'wait\nlonger', {http: {status: 429}}))
    expect(line.endsWith('\n')).to.equal(true)
    expect(line.trimEnd()).not.to.include('\n')
    expect(JSON.parse(line)).to.deep.equal({error: {code: 'rate_limited', http_status: 429, message: 'wait longer'}})
  })

  it('turns a cancelled prompt into an interruption (exit 130)', () => {
    const cancelled = new Error('User force closed the prompt')
    cancelled.name = 'ExitPromptError'
    expect(toDifyError(cancelled).exitCode).to.equal(130)
  })

  it('turns an unexpected error into internal_error with a hint, not a stack trace', () => {
    const error = toDifyError(new TypeError('x is undefined'))
    expect(error.code).to.equal('internal_error')
    expect(error.exitCode).to.equal(1)
    expect(error.hint).to.match(/DEBUG/)
  })
})
