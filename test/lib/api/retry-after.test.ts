import {expect} from 'chai'

import {formatWait, parseRetryAfter} from '../../../src/lib/api/retry-after.js'

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0)

describe('api/retry-after', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('12', NOW)).to.equal(12)
    expect(parseRetryAfter(' 0 ', NOW)).to.equal(0)
    expect(parseRetryAfter(['3600'], NOW)).to.equal(3600)
  })

  it('reads an HTTP-date as seconds from now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:01:30 GMT', NOW)).to.equal(90)
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', NOW)).to.equal(0)
  })

  it('treats absent or unreadable values as no advice', () => {
    for (const value of [undefined, '', '-1', '1.5', 'soon', 'Thu, 99 Foo 2026']) {
      expect(parseRetryAfter(value, NOW), String(value)).to.equal(undefined)
    }
  })

  it('formats waits with the exact seconds and a readable form', () => {
    expect(formatWait(12)).to.equal('12s')
    expect(formatWait(90)).to.equal('90s (1m30s)')
    expect(formatWait(3600)).to.equal('3600s (1h)')
    expect(formatWait(5430)).to.equal('5430s (1h30m30s)')
  })
})
