import {Flags} from '@oclif/core'
import {spawn} from 'node:child_process'

import {login} from '../../lib/auth/login.js'
import {DifyCommand} from '../../lib/command/dify-command.js'
import {browserOpener} from '../../lib/io/browser.js'
import {statusLine} from '../../lib/io/status.js'
import type {CommandResult} from '../../lib/output/format.js'

export default class AuthLogin extends DifyCommand<typeof AuthLogin> {
  static override summary = 'Sign in to a Dify host with the OAuth 2.0 device flow'
  static override description = `Prints a one-time code and a verification URL, opens the URL in your browser, and waits for you to approve the sign-in there. difyctl never sees your password.

On self-hosted Dify, pass the console API URL; the server needs OPENAPI_ENABLED and ENABLE_OAUTH_BEARER. Signing in again to a host and account you already have refreshes that context's token; a new host or account adds a context and makes it active.

The token goes to the OS credential store, or, when none is reachable, to an encrypted sealed file (DIFY_TOKEN_STORAGE=auto|keychain|file). BROWSER, when set, is the command used to open the URL.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --host https://dify.example.com', description: 'Sign in to your Dify host'},
    {command: '<%= config.bin %> <%= command.id %> --no-browser', description: 'From an SSH session: open the printed URL on another device'},
    {command: '<%= config.bin %> <%= command.id %> --host http://localhost:5001 --insecure', description: 'A local development server over plain http'},
  ]

  static override flags = {
    host: Flags.string({
      description: 'The Dify host to sign in to (self-hosted: the console API URL). Without a scheme, https:// is assumed. Required outside a terminal.',
      helpValue: '<url>',
    }),
    insecure: Flags.boolean({default: false, description: 'Allow http:// hosts (local development only).'}),
    'no-browser': Flags.boolean({default: false, description: "Don't open the browser; print the verification URL only."}),
  }

  protected async execute(): Promise<CommandResult> {
    const {services} = this
    const stores = await services.credentials()
    return login({
      allowHttp: this.flags.insecure,
      checkTokenStorage: () => stores.checkBeforeLogin(),
      clock: services.clock,
      host: this.flags.host,
      hostname: services.hostname(),
      hosts: await services.hosts(),
      interactive: services.interactive,
      noBrowser: this.flags['no-browser'],
      openBrowser: browserOpener({env: services.env, platform: services.platform, spawn, stderrIsTTY: Boolean(services.streams.stderr.isTTY)}),
      prompter: services.prompter,
      removeToken: (ref, storage) => stores.storeFor(storage).delete(ref).then(() => {}),
      saveToken: (ref, token) => stores.saveForLogin(ref, token),
      signal: services.signal,
      status: statusLine(services.streams, services.env, {machine: false}),
      tell: (line) => this.note(line),
      transportFor: (host) => services.http({baseUrl: host.baseUrl}),
    })
  }
}
