import {Plugin} from '@oclif/core'
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from './support/cli.js'

describe('oclif.manifest.json', () => {
  it('is up to date with the built commands (run `npm run build && npm run manifest` and commit it)', async () => {
    // The same computation `oclif manifest` does: load every command class from build/, ignoring the
    // committed manifest. A stale manifest makes oclif show wrong help and flags.
    const plugin = new Plugin({ignoreManifest: true, isRoot: true, root: ROOT, type: 'core'})
    await plugin.load()
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(plugin.manifest)))
  })

  it('lists every command of the reference', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(committed.commands).sort()).to.include.members([
      'auth:devices:list',
      'auth:devices:revoke',
      'auth:list',
      'auth:login',
      'auth:logout',
      'auth:whoami',
      'use:account',
      'use:host',
    ])
  })
})
