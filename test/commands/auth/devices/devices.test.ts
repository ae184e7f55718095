import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {useTempState} from '../../../support/command-env.js'
import {hostsWith} from '../../../support/fakes.js'

describe('command: auth devices list / revoke (wiring; behaviour is tested end to end)', () => {
  const env = useTempState()
  // A context whose host is a closed port: a test that wrongly reaches the network fails with exit 1.
  beforeEach(() => env.seed(hostsWith([{baseUrl: 'http://127.0.0.1:9', email: 'you@company.com', host: '127.0.0.1:9'}])))

  for (const flags of ['--limit 0', '--limit 201', '--limit abc', '--page 0']) {
    it(`devices list ${flags} is a usage error (exit 2) before any request`, async () => {
      const {error, stdout} = await runCommand(`auth devices list ${flags}`)
      expect(error?.oclif?.exit).to.equal(2)
      expect(stdout).to.equal('')
    })
  }

  it('devices revoke with neither a target nor --all is a usage error (exit 2)', async () => {
    const {error} = await runCommand('auth devices revoke')
    expect(error?.oclif?.exit).to.equal(2)
  })

  it('devices list against an unreachable host is network_error (exit 1), as JSON with --json', async () => {
    const {error, stderr} = await runCommand('auth devices list --json')
    expect(error?.oclif?.exit).to.equal(1)
    expect(JSON.parse(stderr).error.code).to.equal('network_error')
  })
})
