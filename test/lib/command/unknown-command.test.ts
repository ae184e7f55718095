import {expect} from 'chai'

import {unknownCommandError} from '../../../src/lib/command/unknown-command.js'

const IDS = ['auth:login', 'auth:logout', 'auth:whoami', 'auth:list', 'auth:devices:list', 'auth:devices:revoke', 'use:host', 'use:account']

describe('command/unknown-command', () => {
  it('a known command with a stray argument names the argument and the command', () => {
    const error = unknownCommandError('auth:whoami:extra', IDS)
    expect(error.message).to.equal(`unexpected argument "extra" for 'difyctl auth whoami'`)
    expect(error.exitCode).to.equal(2)
  })

  it('a typo suggests the closest command', () => {
    expect(unknownCommandError('auth:loign', IDS).hint).to.match(/^did you mean 'difyctl auth login'\?/)
  })

  it('something unrelated suggests nothing in particular', () => {
    expect(unknownCommandError('deploy', IDS).hint).to.equal("run 'difyctl --help' for the list of commands")
  })
})
