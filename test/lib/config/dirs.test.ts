import {expect} from 'chai'
import {stat, writeFile, chmod, mkdir} from 'node:fs/promises'
import path from 'node:path'

import {ensureDir, resolveDirs} from '../../../src/lib/config/dirs.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {tempDir} from './fixtures/process.js'

describe('config dirs', () => {
  describe('resolveDirs', () => {
    const home = '/home/ada'
    const cases: Array<{name: string; platform: NodeJS.Platform; env: Record<string, string>; home?: string; config: string; data: string}> = [
      {config: '/home/ada/.config/difyctl', data: '/home/ada/.local/share/difyctl', env: {}, name: 'linux defaults', platform: 'linux'},
      {config: '/x/cfg/difyctl', data: '/x/data/difyctl', env: {XDG_CONFIG_HOME: '/x/cfg', XDG_DATA_HOME: '/x/data'}, name: 'linux XDG', platform: 'linux'},
      {
        config: '/override/config',
        data: '/override/data',
        env: {DIFY_CONFIG_DIR: '/override/config', DIFY_DATA_DIR: '/override/data', XDG_CONFIG_HOME: '/x/cfg', XDG_DATA_HOME: '/x/data'},
        name: 'DIFY_* beat XDG',
        platform: 'linux',
      },
      {config: 'rel/config', data: '/home/ada/.local/share/difyctl', env: {DIFY_CONFIG_DIR: 'rel/config'}, name: 'DIFY_CONFIG_DIR taken as given', platform: 'linux'},
      {
        config: '/home/ada/.config/difyctl',
        data: '/home/ada/.local/share/difyctl',
        env: {XDG_CONFIG_HOME: 'relative', XDG_DATA_HOME: 'also/relative'},
        name: 'relative XDG paths ignored (XDG spec)',
        platform: 'linux',
      },
      {
        config: '/home/ada/.config/difyctl',
        data: '/home/ada/.local/share/difyctl',
        env: {DIFY_CONFIG_DIR: '', DIFY_DATA_DIR: '  ', XDG_CONFIG_HOME: ''},
        name: 'empty variables count as unset',
        platform: 'linux',
      },
      {config: '/home/ada/.config/difyctl', data: '/home/ada/.local/share/difyctl', env: {}, name: 'freebsd like linux', platform: 'freebsd'},
      {
        config: '/Users/ada/.config/difyctl',
        data: '/Users/ada/Library/Application Support/difyctl',
        env: {},
        home: '/Users/ada',
        name: 'macOS defaults',
        platform: 'darwin',
      },
      {config: '/x/cfg/difyctl', data: '/x/data/difyctl', env: {XDG_CONFIG_HOME: '/x/cfg', XDG_DATA_HOME: '/x/data'}, home: '/Users/ada', name: 'macOS XDG', platform: 'darwin'},
      {config: '/o/c', data: '/o/d', env: {DIFY_CONFIG_DIR: '/o/c', DIFY_DATA_DIR: '/o/d'}, home: '/Users/ada', name: 'macOS DIFY_*', platform: 'darwin'},
      {
        config: 'C:\\Users\\ada\\AppData\\Roaming\\difyctl',
        data: 'C:\\Users\\ada\\AppData\\Local\\difyctl',
        env: {APPDATA: 'C:\\Users\\ada\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local'},
        home: 'C:\\Users\\ada',
        name: 'Windows APPDATA / LOCALAPPDATA',
        platform: 'win32',
      },
      {
        config: 'C:\\Users\\ada\\AppData\\Roaming\\difyctl',
        data: 'C:\\Users\\ada\\AppData\\Local\\difyctl',
        env: {},
        home: 'C:\\Users\\ada',
        name: 'Windows without APPDATA falls back under the profile',
        platform: 'win32',
      },
      {
        config: 'D:\\state\\cfg',
        data: 'D:\\state\\data',
        env: {APPDATA: 'C:\\r', DIFY_CONFIG_DIR: 'D:\\state\\cfg', DIFY_DATA_DIR: 'D:\\state\\data', LOCALAPPDATA: 'C:\\l'},
        home: 'C:\\Users\\ada',
        name: 'Windows DIFY_*',
        platform: 'win32',
      },
      {
        config: 'E:\\xdg\\cfg\\difyctl',
        data: 'C:\\l\\difyctl',
        env: {APPDATA: 'C:\\r', LOCALAPPDATA: 'C:\\l', XDG_CONFIG_HOME: 'E:\\xdg\\cfg'},
        home: 'C:\\Users\\ada',
        name: 'Windows honours an absolute XDG_CONFIG_HOME',
        platform: 'win32',
      },
    ]
    for (const c of cases) {
      it(`given ${c.name}, resolves ${c.config} and ${c.data}`, () => {
        expect(resolveDirs({env: c.env, homedir: c.home ?? home, platform: c.platform})).to.deep.equal({configDir: c.config, dataDir: c.data})
      })
    }
  })

  describe('ensureDir', () => {
    let dir: string
    let cleanup: () => Promise<void>
    beforeEach(async () => ({cleanup, dir} = await tempDir()))
    afterEach(() => cleanup())

    it('creates missing directories with mode 0700', async () => {
      const target = path.join(dir, 'a', 'b', 'difyctl')
      await ensureDir(target)
      expect((await stat(target)).mode & 0o777).to.equal(0o700)
    })

    it('leaves an existing directory and its mode alone', async () => {
      const target = path.join(dir, 'shared')
      await mkdir(target)
      await chmod(target, 0o750)
      await ensureDir(target)
      expect((await stat(target)).mode & 0o777).to.equal(0o750)
    })

    it('given a file in the way, fails with io_error naming it', async () => {
      const target = path.join(dir, 'file')
      await writeFile(target, 'x')
      const error = await ensureDir(target).then(() => undefined, (caught: unknown) => caught)
      expect(error).to.be.instanceOf(DifyError)
      expect((error as DifyError).code).to.equal('io_error')
      expect((error as DifyError).message).to.include(target)
    })
  })
})
