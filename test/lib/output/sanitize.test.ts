import {expect} from 'chai'

import {singleLine, stripControl} from '../../../src/lib/output/sanitize.js'
import {shellArg} from '../../../src/lib/output/shell.js'

describe('output/sanitize', () => {
  it('removes ANSI and OSC sequences whole, and lone control characters', () => {
    expect(stripControl('ev\u001B]0;T\u0007il\u001B[2J@x.com\u0000')).to.equal('evil@x.com')
  })

  it('removes bidi overrides, isolates and zero-width characters that make a label lie', () => {
    expect(stripControl('laptop \u202Egnp.exe\u202C \u200Bx\u2066y\u2069\uFEFF')).to.equal('laptop gnp.exe xy')
  })

  it('keeps ordinary Unicode, and singleLine folds newlines and tabs', () => {
    expect(singleLine('Zoë\t例え\nok')).to.equal('Zoë 例え ok')
  })
})

describe('output/shell', () => {
  it('leaves safe arguments bare and double-quotes the rest so a pasted hint still works', () => {
    expect(shellArg('https://dify.example.com:8443/dify')).to.equal('https://dify.example.com:8443/dify')
    expect(shellArg("o'brien@x.com")).to.equal(`"o'brien@x.com"`)
    expect(shellArg('a "b" $c')).to.equal('"a \\"b\\" \\$c"')
  })
})
