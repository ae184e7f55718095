// Preloaded into a spawned CLI (`NODE_OPTIONS=--import=<this file's URL>`) by test/perf: records
// every module the process loads, ES modules and CommonJS alike (Node's synchronous module hooks
// see both), and every file read through fs/promises' readFile, then writes them as JSON to the
// file named by DIFYCTL_TEST_RECORD when the process exits. It only observes.
import {writeFileSync} from 'node:fs'
import fsPromises from 'node:fs/promises'
import {registerHooks, syncBuiltinESMExports} from 'node:module'

const out = process.env.DIFYCTL_TEST_RECORD
const modules = []
const reads = []

registerHooks({
  load(url, context, nextLoad) {
    modules.push(url)
    return nextLoad(url, context)
  },
})

// `import {readFile} from 'node:fs/promises'` in modules loaded later sees this wrapper once the
// builtin's ESM exports are synced.
const readFile = fsPromises.readFile
fsPromises.readFile = function (path, ...rest) {
  reads.push(String(path))
  return readFile.call(this, path, ...rest)
}

syncBuiltinESMExports()

process.on('exit', () => {
  if (out) writeFileSync(out, JSON.stringify({modules, reads}))
})
