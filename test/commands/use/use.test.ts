import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {useTempState} from '../../support/command-env.js'
import {hostsWith} from '../../support/fakes.js'

describe('command: use host / use account', () => {
  const env = useTempState()
  beforeEach(() =>
    env.seed(
      hostsWith([
        {email: 'you@company.com', host: 'dify.example.com'},
        {email: 'bot@company.com', host: 'dify.example.com'},
        {email: 'you@acme.com', host: 'dify.internal.acme.com'},
      ]),
    ),
  )

  it('use host --domain switches (exit 0); without it, outside a terminal, exit 2 naming --domain', async () => {
    expect((await runCommand('use host --domain dify.internal.acme.com')).stdout).to.equal('✓ Active host is now dify.internal.acme.com\n')
    const {error, stderr} = await runCommand('use host')
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/^missing_flag: --domain is required/)
  })

  it('use account --email switches (exit 0); an unknown one is exit 2; a missing flag value is exit 2', async () => {
    expect((await runCommand('use account --email bot@company.com')).stdout).to.equal('✓ Active account on dify.example.com is now bot@company.com\n')
    expect((await runCommand('use account --email nobody@company.com')).error?.oclif?.exit).to.equal(2)
    const {error, stderr} = await runCommand('use account --email')
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/^usage_error: /)
  })
})
