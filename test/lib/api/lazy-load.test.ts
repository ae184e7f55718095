import {execFile} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {sendJson, startScriptedServer} from '../../support/scripted-server.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PROBE = fileURLToPath(new URL('fixtures/load-probe.ts', import.meta.url))

describe('api: start-up cost', function () {
  this.timeout(30_000)

  it('loads got and hpagent on the first request, not when the API layer is imported', async () => {
    const server = await startScriptedServer((_request, response) => sendJson(response, 200, {ok: true}))
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', PROBE, server.url], {cwd: ROOT, timeout: 20_000}, (error, out, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(out),
        )
      })
      expect(JSON.parse(stdout.trim())).to.deep.equal({afterRequest: ['got', 'hpagent'], beforeRequest: [], status: 200})
    } finally {
      await server.close()
    }
  })
})
