import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {useTempState} from '../../support/command-env.js'
import {hostsWith} from '../../support/fakes.js'

describe('command: auth whoami', () => {
  const env = useTempState()

  it('prints the active identity as text, or as one JSON line with --json', async () => {
    await env.seed(hostsWith([{accountId: 'a1', email: 'you@company.com', host: 'dify.example.com', name: 'Your Name'}]))
    expect((await runCommand('auth whoami')).stdout).to.equal('you@company.com (Your Name)\n')
    const {stdout} = await runCommand('auth whoami --json')
    expect(stdout).to.equal('{"id":"a1","email":"you@company.com","name":"Your Name"}\n')
  })

  it('exits 4 (not_logged_in) when nothing is stored, with stdout empty', async () => {
    const {error, stderr, stdout} = await runCommand('auth whoami')
    expect(error?.oclif?.exit).to.equal(4)
    expect(stderr).to.match(/^not_logged_in: /)
    expect(stdout).to.equal('')
  })

  it('DIFY_HOST and DIFY_ACCOUNT pick another stored context for one run', async () => {
    await env.seed(
      hostsWith([
        {email: 'you@company.com', host: 'dify.example.com'},
        {email: 'you@acme.com', host: 'dify.internal.acme.com', name: 'Acme You'},
      ]),
    )
    process.env.DIFY_HOST = 'dify.internal.acme.com'
    try {
      expect((await runCommand('auth whoami')).stdout).to.equal('you@acme.com (Acme You)\n')
      process.env.DIFY_HOST = 'unknown.example.com'
      const {error, stderr} = await runCommand('auth whoami')
      expect(error?.oclif?.exit).to.equal(2)
      expect(stderr).to.match(/^unknown_host: /)
    } finally {
      delete process.env.DIFY_HOST
    }
  })

  it('rejects an unknown flag as a usage error (exit 2)', async () => {
    const {error, stderr} = await runCommand('auth whoami --nope')
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/^usage_error: /)
  })
})
