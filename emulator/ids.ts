import type {ByteSource} from './random.js'

export const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXY3456789'

export type TokenPrefix = 'dfoa_' | 'dfoe_'

/** Formats of protocol §3, drawn from one byte source so a seed makes all of them reproducible. */
export class IdGenerator {
  constructor(private readonly source: ByteSource) {}

  /** `dc_` + 32 URL-safe base64 characters (24 bytes). */
  deviceCode(): string {
    return `dc_${this.source.bytes(24).toString('base64url')}`
  }

  /** Prefix + 43 URL-safe base64 characters (32 bytes, unpadded). */
  token(prefix: TokenPrefix): string {
    return `${prefix}${this.source.bytes(32).toString('base64url')}`
  }

  /** `XXXX-XXXX` from the 30-letter alphabet; rejection sampling keeps the letters uniform. */
  userCode(): string {
    const chars: string[] = []
    while (chars.length < 8) {
      for (const byte of this.source.bytes(8)) {
        if (byte < 240 && chars.length < 8) chars.push(USER_CODE_ALPHABET[byte % 30])
      }
    }

    return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`
  }

  /** A version-4 UUID, lower-case and hyphenated. */
  uuid(): string {
    return uuidFromBytes(this.source.bytes(16))
  }
}

export function uuidFromBytes(input: Buffer): string {
  const b = Buffer.from(input.subarray(0, 16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const hex = b.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
