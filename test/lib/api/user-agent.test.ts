import {expect} from 'chai'

import {userAgent} from '../../../src/lib/api/user-agent.js'

describe('api/user-agent', () => {
  it('is difyctl/<version> (<platform>; <arch>)', () => {
    expect(userAgent('0.3.0', 'linux', 'x64')).to.equal('difyctl/0.3.0 (linux; x64)')
    expect(userAgent('1.0.0-rc.1', 'darwin', 'arm64')).to.equal('difyctl/1.0.0-rc.1 (darwin; arm64)')
  })
})
