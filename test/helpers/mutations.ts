// Mutations for the protocol fuzz tests: damaged message bytes and edited text spellings, and the
// checks that a decoder or parser answers them only with its typed ProtocolError.

import fc from 'fast-check'
import { ProtocolError } from '../../protocol/errors'
import type { MessageCodec, SignedMessageCodec } from '../../protocol/messages/define'
import type { Ed25519 } from '../../protocol/signature/ed25519'

/** One edit to encoded bytes: a bit flipped, the tail cut, bytes appended or one inserted. */
export const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
)
export type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer M> ? M : never

export function mutateBytes(input: Uint8Array, m: ByteMutation): Uint8Array {
  const at = input.length === 0 || !('at' in m) ? 0 : m.at % input.length
  switch (m.kind) {
    case 'flip': {
      const out = Uint8Array.from(input)
      out[at] = out[at]! ^ (1 << m.bit)
      return out
    }
    case 'truncate':
      return input.slice(0, at)
    case 'append':
      return Uint8Array.from([...input, ...m.extra])
    case 'insert':
      return Uint8Array.from([...input.slice(0, at), m.byte, ...input.slice(at)])
  }
}

/** Decoding `input` either throws a ProtocolError or gives a message that encodes back to the same bytes. */
export function expectOnlyProtocolErrors(codec: MessageCodec<unknown>, input: Uint8Array): void {
  let decoded: unknown
  try {
    decoded = codec.decode(input)
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
    return
  }
  // Whatever decodes is canonical: encoding it again gives back the very same bytes.
  const again = codec.encode(decoded)
  if (Buffer.compare(again, input) !== 0) throw new Error(`${codec.name}: non-canonical input was accepted`)
}

/** A message cut short, with a byte after it, of an unknown type or version, or empty, is refused with its typed code. */
export function expectFramingErrors(
  t: { throws(fn: () => unknown, wanted: { code: string }): unknown }, codec: MessageCodec<unknown>, encoded: Uint8Array,
): void {
  t.throws(() => codec.decode(encoded.slice(0, -1)), { code: 'TRUNCATED' })
  t.throws(() => codec.decode(Uint8Array.from([...encoded, 0])), { code: 'TRAILING_BYTES' })
  t.throws(() => codec.decode(Uint8Array.from([0x7f, ...encoded.slice(1)])), { code: 'UNKNOWN_TYPE' })
  t.throws(() => codec.decode(Uint8Array.from([encoded[0]!, 2, ...encoded.slice(2)])), { code: 'UNKNOWN_VERSION' })
  t.throws(() => codec.decode(new Uint8Array()), { code: 'TRUNCATED' })
}

/**
 * Flips each bit of a signed message in turn: every flip fails decoding with a ProtocolError or
 * fails verification under `publicKey`. Returns how many flips decoded (and so were verified).
 */
export function expectEveryBitFlipRefused<T>(
  t: { fail(message: string): unknown }, codec: SignedMessageCodec<T>, encoded: Uint8Array, publicKey: Uint8Array, ed: Ed25519,
): number {
  let checked = 0
  for (let bit = 0; bit < encoded.length * 8; bit++) {
    const flipped = Uint8Array.from(encoded)
    flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7))
    let decoded: ReturnType<typeof codec.decode>
    try {
      decoded = codec.decode(flipped)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      continue
    }
    checked++
    if (codec.verify(decoded, publicKey, ed)) t.fail(`bit ${bit} flipped and still verified`)
  }
  return checked
}

/** Runs `run`, letting through only a ProtocolError with `code`. */
export function expectOnlyProtocolError(code: string, run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!(error instanceof ProtocolError) || error.code !== code) throw error
  }
}

/** Valid spellings edited a few characters at a time with `confusing` pieces of text. */
export function mutatedText(valid: fc.Arbitrary<string>, confusing: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('replace', 'insert', 'delete'), text: confusing })
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    let out = text
    for (const edit of edits) {
      const at = out.length === 0 ? 0 : edit.at % out.length
      if (edit.kind === 'replace') out = out.slice(0, at) + edit.text + out.slice(at + 1)
      else if (edit.kind === 'insert') out = out.slice(0, at) + edit.text + out.slice(at)
      else out = out.slice(0, at) + out.slice(at + 1)
    }
    return out
  })
}
