import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import {PAGE_PATH, renderExitCodesPage} from '../../scripts/docs/exit-codes.js'
import {EXIT_CODES} from '../../src/lib/errors/codes.js'

describe('docs/output-formats-and-exit-codes.md', () => {
  it('is exactly what the generator renders from the error table (run `npm run docs` after changing a code)', () => {
    expect(readFileSync(PAGE_PATH, 'utf8')).to.equal(renderExitCodesPage())
  })

  it('lists every error code with its exit code', () => {
    const page = renderExitCodesPage()
    for (const [code, exit] of Object.entries(EXIT_CODES)) {
      expect(page).to.include(`| \`${code}\` | ${exit} |`)
    }
  })
})
