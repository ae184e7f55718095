import {expect} from 'chai'

import {renderTable} from '../../../src/lib/output/table.js'
import {displayWidth} from '../../../src/lib/output/width.js'

describe('output/table', () => {
  it('pads columns by display width, so CJK cells (two cells each) line up', () => {
    const out = renderTable(['HOST', 'ACCOUNT'], [['例え.jp', 'a@b.c'], ['dify.example.com', 'x@y.z']])
    const lines = out.trimEnd().split('\n')
    const accountColumn = lines.map((line) => displayWidth(line.slice(0, line.indexOf(line.includes('@') ? line.match(/\S+@\S+/)![0] : 'ACCOUNT'))))
    expect(new Set(accountColumn).size).to.equal(1)
    expect(displayWidth('例え')).to.equal(4)
  })

  it('strips terminal control sequences from cells and trims trailing padding', () => {
    const out = renderTable(['A', 'B'], [['\u001B[31mred\u001B[0m', '']])
    expect(out).to.equal('A    B\nred\n')
    expect(out).not.to.include('\u001B')
  })
})

describe('output/table cell width', () => {
  it('cuts an overlong cell with an ellipsis so one label cannot widen every row', () => {
    const out = renderTable(['DEVICE', 'CREATED'], [['x'.repeat(5000), '2026-06-02T09:14:31Z']])
    const row = out.split('\n')[1]
    expect(row).to.match(/^x{63}… {2}2026-06-02T09:14:31Z$/)
  })
})
