import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {useTempState} from '../../support/command-env.js'

describe('command: auth login / auth logout (wiring; the flow itself is tested end to end)', () => {
  useTempState()

  it('login without --host outside a terminal is missing_flag (exit 2)', async () => {
    const {error, stderr} = await runCommand('auth login --no-browser')
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/^missing_flag: --host is required/)
  })

  it('login to an http:// host needs --insecure (exit 2 without it)', async () => {
    const {error, stderr} = await runCommand('auth login --host http://127.0.0.1:9 --no-browser')
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/^insecure_host: /)
  })

  it('login with --insecure reaches the network: a closed port is network_error (exit 1)', async () => {
    const {error, stderr} = await runCommand('auth login --host http://127.0.0.1:9 --insecure --no-browser')
    expect(error?.oclif?.exit).to.equal(1)
    expect(stderr).to.match(/^network_error: /)
  })

  it('logout when not signed in is not_logged_in (exit 4)', async () => {
    const {error} = await runCommand('auth logout')
    expect(error?.oclif?.exit).to.equal(4)
  })
})
