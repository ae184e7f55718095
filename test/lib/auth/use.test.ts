import {expect} from 'chai'

import {useAccount, useHost} from '../../../src/lib/auth/use.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {hostsWith, MemoryHosts, ScriptedPrompter} from '../../support/fakes.js'
import {failure} from '../../support/failure.js'


const twoHosts = () =>
  new MemoryHosts(
    hostsWith([
      {email: 'you@company.com', host: 'dify.example.com'},
      {email: 'you@acme.com', host: 'dify.internal.acme.com'},
    ]),
  )

describe('auth/use', () => {
  describe('useHost', () => {
    it('given two stored hosts, switches to the named one and confirms', async () => {
      const hosts = twoHosts()
      const result = await useHost({domain: 'dify.internal.acme.com', hosts, interactive: false, prompter: new ScriptedPrompter()})
      expect(result.human).to.equal('✓ Active host is now dify.internal.acme.com\n')
      expect(hosts.file.currentHost).to.equal('dify.internal.acme.com')
    })

    it('F07: accepts a differently-cased domain and a pasted URL for the same host', async () => {
      const hosts = twoHosts()
      await useHost({domain: 'https://DIFY.Internal.Acme.com:443/', hosts, interactive: false, prompter: new ScriptedPrompter()})
      expect(hosts.file.currentHost).to.equal('dify.internal.acme.com')
    })

    it('rejects an unknown host as a usage error listing the known hosts, writing nothing', async () => {
      const hosts = twoHosts()
      const error = await failure(useHost({domain: 'nope.example.com', hosts, interactive: false, prompter: new ScriptedPrompter()}))
      expect(error.code).to.equal('unknown_host')
      expect(error.exitCode).to.equal(2)
      expect(error.hint).to.include('dify.example.com').and.include('dify.internal.acme.com')
      expect(hosts.writes).to.equal(0)
    })

    it('F08: without --domain and without a terminal, fails at once naming the flag', async () => {
      const prompter = new ScriptedPrompter()
      const error = await failure(useHost({hosts: twoHosts(), interactive: false, prompter}))
      expect(error.code).to.equal('missing_flag')
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.include('--domain')
      expect(prompter.asked).to.deep.equal([])
    })

    it('in a terminal, asks which host and switches to the answer', async () => {
      const hosts = twoHosts()
      const prompter = new ScriptedPrompter(['dify.internal.acme.com'])
      await useHost({hosts, interactive: true, prompter})
      expect(prompter.asked).to.have.length(1)
      expect(hosts.file.currentHost).to.equal('dify.internal.acme.com')
    })

    it('F10: Ctrl-C at the picker is an interruption (130) and writes nothing', async () => {
      const hosts = twoHosts()
      const cancelled = new DifyError('interrupted', 'interrupted')
      const error = await failure(useHost({hosts, interactive: true, prompter: new ScriptedPrompter([cancelled])}))
      expect(error.exitCode).to.equal(130)
      expect(hosts.writes).to.equal(0)
    })

    it('with no stored sign-ins, says not logged in (exit 4)', async () => {
      const error = await failure(useHost({domain: 'x', hosts: new MemoryHosts(), interactive: false, prompter: new ScriptedPrompter()}))
      expect(error.code).to.equal('not_logged_in')
      expect(error.exitCode).to.equal(4)
    })
  })

  describe('useAccount', () => {
    const twoAccounts = () =>
      new MemoryHosts(
        hostsWith(
          [
            {email: 'you@company.com', host: 'dify.example.com'},
            {email: 'teammate-bot@company.com', host: 'dify.example.com'},
            {email: 'gone@company.com', host: 'dify.example.com', token: false},
          ],
          {email: 'you@company.com', host: 'dify.example.com'},
        ),
      )
    const present = async () => true

    it('given two accounts on one host, switches the active account', async () => {
      const hosts = twoAccounts()
      const result = await useAccount({email: 'teammate-bot@company.com', hosts, interactive: false, prompter: new ScriptedPrompter(), tokenPresent: present})
      expect(result.human).to.equal('✓ Active account on dify.example.com is now teammate-bot@company.com\n')
      expect(hosts.file.hosts['dify.example.com'].currentAccount).to.equal('teammate-bot@company.com')
    })

    it('rejects an unknown account as a usage error listing the known accounts', async () => {
      const error = await failure(useAccount({email: 'who@x.y', hosts: twoAccounts(), interactive: false, prompter: new ScriptedPrompter(), tokenPresent: present}))
      expect(error.code).to.equal('unknown_account')
      expect(error.exitCode).to.equal(2)
      expect(error.hint).to.include('teammate-bot@company.com')
    })

    it('an account whose token is gone fails with not_logged_in and a sign-in hint', async () => {
      const hosts = twoAccounts()
      const error = await failure(useAccount({email: 'gone@company.com', hosts, interactive: false, prompter: new ScriptedPrompter(), tokenPresent: present}))
      expect(error.code).to.equal('not_logged_in')
      expect(error.hint).to.include('difyctl auth login --host https://dify.example.com')
      expect(hosts.writes).to.equal(0)
    })

    it('an account whose token vanished from the credential store fails with not_logged_in', async () => {
      const error = await failure(
        useAccount({email: 'teammate-bot@company.com', hosts: twoAccounts(), interactive: false, prompter: new ScriptedPrompter(), tokenPresent: async () => false}),
      )
      expect(error.code).to.equal('not_logged_in')
    })

    it('switches anyway when the credential store cannot be asked right now', async () => {
      const hosts = twoAccounts()
      await useAccount({email: 'teammate-bot@company.com', hosts, interactive: false, prompter: new ScriptedPrompter(), tokenPresent: async () => undefined})
      expect(hosts.file.hosts['dify.example.com'].currentAccount).to.equal('teammate-bot@company.com')
    })

    it('F08: without --email and without a terminal, fails at once naming the flag', async () => {
      const error = await failure(useAccount({hosts: twoAccounts(), interactive: false, prompter: new ScriptedPrompter(), tokenPresent: present}))
      expect(error.code).to.equal('missing_flag')
      expect(error.message).to.include('--email')
    })
  })
})
