import {createHash, randomBytes} from 'node:crypto'

/** Where identifiers get their bytes: the OS generator, or a reproducible stream from a seed. */
export interface ByteSource {
  bytes(count: number): Buffer
}

export function cryptoSource(): ByteSource {
  return {bytes: (count) => randomBytes(count)}
}

/**
 * SHA-256 in counter mode over the seed: deterministic for a given seed and call order, and good
 * enough to look random in codes and tokens. Not for secrets — a seeded emulator is a test fixture.
 */
export function seededSource(seed: string): ByteSource {
  let counter = 0
  let pool = Buffer.alloc(0)
  return {
    bytes(count) {
      const blocks: Buffer[] = [pool]
      let available = pool.length
      while (available < count) {
        const block = createHash('sha256').update(`${seed}\u0000${counter++}`).digest()
        blocks.push(block)
        available += block.length
      }

      const all = Buffer.concat(blocks)
      pool = Buffer.from(all.subarray(count))
      return Buffer.from(all.subarray(0, count))
    },
  }
}

export function sourceFor(seed: string | number | null): ByteSource {
  return seed === null ? cryptoSource() : seededSource(String(seed))
}
