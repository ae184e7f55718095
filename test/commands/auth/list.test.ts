import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {useTempState} from '../../support/command-env.js'
import {hostsWith} from '../../support/fakes.js'

describe('command: auth list', () => {
  const env = useTempState()
  beforeEach(() =>
    env.seed(
      hostsWith([
        {email: 'you@company.com', host: 'dify.example.com', name: 'Your Name'},
        {email: 'you@acme.com', host: 'dify.internal.acme.com', name: 'Your Name'},
      ]),
    ),
  )

  it('wires -o json (indented), -o yaml and -o name, and --output as the long form', async () => {
    const json = (await runCommand('auth list -o json')).stdout
    expect(json).to.match(/^\{\n {2}"contexts": \[\n/)
    expect(JSON.parse(json).contexts.map((context: {host: string}) => context.host)).to.deep.equal(['dify.example.com', 'dify.internal.acme.com'])
    expect((await runCommand('auth list --output yaml')).stdout).to.match(/^contexts:\n/)
    expect((await runCommand('auth list -o name')).stdout).to.equal('you@company.com\nyou@acme.com\n')
  })

  it('an -o value the command does not offer is unsupported_format (exit 2), rendered as text', async () => {
    const {error, stderr, stdout} = await runCommand('auth list -o table')
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/^unsupported_format: unsupported output format "table"\nhint: use -o json, -o yaml, -o name/)
    expect(stdout).to.equal('')
  })

  it('the default is the table with the active marker', async () => {
    const {stdout} = await runCommand('auth list')
    expect(stdout.split('\n')[0]).to.match(/^HOST +ACCOUNT +ACTIVE$/)
    expect(stdout).to.match(/dify\.example\.com +you@company\.com \(Your Name\) +\*/)
  })
})
