// A strict streaming UTF-8 decoder for dumps: chunks may split a character anywhere, and bytes that
// are not UTF-8 are a DumpError on their line rather than a silent U+FFFD.

import { DumpError } from './errors'

const NEWLINE = 0x0a
const BYTE_ORDER_MARK = '\uFEFF'

/** The length of the sequence a lead byte starts (1 to 4), or 0 for a byte no sequence starts with. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 0
}

/** The index where `bytes` stops being UTF-8 (a sequence cut short by the end counts as bad), or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let index = 0; index < bytes.length;) {
    const lead = bytes[index]!
    const length = sequenceLength(lead)
    if (length === 0 || index + length > bytes.length) return index
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    const second = bytes[index + 1] ?? 0
    const second_min = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80
    const second_max = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf
    if (length > 1 && (second < second_min || second > second_max)) return index
    for (let next = index + 2; next < index + length; next++) {
      if ((bytes[next]! & 0xc0) !== 0x80) return index
    }
    index += length
  }
  return -1
}

/** How many bytes at the end of `bytes` begin a character that the next chunk completes (0 to 3). */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!
    if ((byte & 0xc0) === 0x80) continue
    return sequenceLength(byte) > back ? back : 0
  }
  return 0
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0
  for (let index = bytes.indexOf(NEWLINE); index !== -1 && index < end; index = bytes.indexOf(NEWLINE, index + 1)) count++
  return count
}

/** Decodes a dump's chunks in order; holds at most the three bytes of a character split between chunks. */
export class StrictUtf8Decoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  private carry: Uint8Array = new Uint8Array(0)
  private linesBefore = 0
  private started = false

  /** Bytes found not to be UTF-8: the text before them was handed out, the error comes next. */
  private failure: DumpError | undefined

  decode(chunk: Uint8Array): string {
    if (this.failure) throw this.failure
    const bytes = this.carry.length === 0 ? chunk : concat(this.carry, chunk)
    const complete = bytes.length - incompleteTail(bytes)
    this.carry = bytes.slice(complete)
    return this.text(bytes.subarray(0, complete))
  }

  /** The end of the dump: a character still cut short is not UTF-8. */
  end(): string {
    if (this.failure) throw this.failure
    if (this.carry.length > 0) throw this.faultAt(this.carry, 0)
    return ''
  }

  /** The text of whole characters; before bytes that are not UTF-8, the text up to them, the error kept for the next call. */
  private text(bytes: Uint8Array): string {
    let valid = bytes
    const invalid = firstInvalidUtf8(bytes)
    if (invalid !== -1) {
      this.failure = this.faultAt(bytes, invalid)
      valid = bytes.subarray(0, invalid)
    }
    let text = this.decoder.decode(valid)
    if (!this.started && text.length > 0) {
      this.started = true
      if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1)
    }
    this.linesBefore += countNewlines(valid, valid.length)
    return text
  }

  private faultAt(bytes: Uint8Array, offset: number): DumpError {
    return new DumpError('BAD_UTF8', this.linesBefore + countNewlines(bytes, offset) + 1, 'bytes that are not UTF-8')
  }
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length)
  joined.set(first)
  joined.set(second, first.length)
  return joined
}
