import t from 'tap'
import fc from 'fast-check'
import {
  CLA_CHAINING,
  CLA_PROPRIETARY,
  CommandAssembler,
  GET_RESPONSE_ROUNDS_MAX,
  INS_GET_RESPONSE,
  INS_PAYMENT_REQUEST,
  MESSAGE_MAX_BYTES,
  PAYALL_AID_HEX,
  ResponseAssembler,
  SW_CLA_NOT_SUPPORTED,
  SW_FILE_NOT_FOUND,
  SW_INS_NOT_SUPPORTED,
  SW_OK,
  SW_SECURITY_NOT_SATISFIED,
  SW_UNKNOWN,
  SW_WRONG_LENGTH,
  SW_WRONG_P1P2,
  chainCommand,
  chainResponse,
  decodeCommandApdu,
  decodeResponseApdu,
  describeStatusWord,
  encodeCommandApdu,
  encodeResponseApdu,
  exchangeChained,
  getResponseCommand,
  isMoreData,
  moreDataLength,
  payAllAid,
  paymentRequestCommand,
  selectAid,
  selectPayAll,
  type CommandApdu,
  type ResponseApdu,
  type Transmit,
} from '../../protocol/apdu'
import { equalBytes, fromHex, toHex } from '../../protocol/bytes'
import { ProtocolError } from '../../protocol/errors'

const SEED = 20240607
const EMPTY = new Uint8Array(0)
const CHAIN_SIZES_BYTES = [0, 1, 255, 256, 600, 4096]

function hex(bytes: Uint8Array): string {
  return toHex(bytes).toUpperCase().replace(/(..)(?!$)/g, '$1 ')
}

function pattern(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let index = 0; index < length; index++) out[index] = (index * 31 + salt) & 0xff
  return out
}

function onlyProtocolErrors(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
  }
}

async function onlyProtocolErrorsAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
  }
}

/** A phone in the manner of an Android HCE service: reassembles chained commands and serves GET RESPONSE. */
function fakePhone(answer: (command: CommandApdu) => ResponseApdu, responseChunk_bytes_max = 256) {
  const assembler = new CommandAssembler()
  const received: CommandApdu[] = []
  const commands: CommandApdu[] = []
  let pending: ResponseApdu[] = []
  const transmit: Transmit = async (bytes) => {
    const command = decodeCommandApdu(bytes)
    received.push(command)
    if (command.cla === 0x00 && command.ins === INS_GET_RESPONSE) {
      const next = pending.shift()
      return encodeResponseApdu(next ?? { data: EMPTY, sw: SW_UNKNOWN })
    }
    pending = []
    const whole = assembler.push(command)
    if (whole === undefined) return encodeResponseApdu({ data: EMPTY, sw: SW_OK })
    commands.push(whole)
    const response = answer(whole)
    pending = chainResponse(response.data, response.sw, responseChunk_bytes_max)
    return encodeResponseApdu(pending.shift()!)
  }
  return { transmit, received, commands }
}

const byte = fc.integer({ min: 0, max: 255 })
const validCommand: fc.Arbitrary<CommandApdu> = fc
  .record({
    cla: byte,
    ins: byte,
    p1: byte,
    p2: byte,
    data: fc.uint8Array({ maxLength: 255 }),
    le: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
  })
  .map(({ le, ...rest }) => (le === undefined ? rest : { ...rest, le }))
const statusWord = fc.oneof(
  fc.integer({ min: 0x6100, max: 0x6fff }),
  fc.integer({ min: 0x9000, max: 0x9fff }),
)
const finalStatusWord = statusWord.filter((sw) => !isMoreData(sw))
const validResponse: fc.Arbitrary<ResponseApdu> = fc.record({ data: fc.uint8Array({ maxLength: 256 }), sw: statusWord })

const byteEdit = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'insert', 'delete', 'truncate'),
  value: byte,
})
type ByteEdit = { at: number; kind: 'replace' | 'insert' | 'delete' | 'truncate'; value: number }
function applyEdits(bytes: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let out = [...bytes]
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % out.length
    if (edit.kind === 'replace') out[at] = edit.value
    else if (edit.kind === 'insert') out.splice(at, 0, edit.value)
    else if (edit.kind === 'delete') out.splice(at, 1)
    else out = out.slice(0, at)
  }
  return new Uint8Array(out)
}
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(byteEdit, { minLength: 1, maxLength: 4 })).map(([bytes, edits]) => applyEdits(bytes, edits))
}

t.test('encodes the REFERENCES SELECT of AID F0 01 02 03 04 05 06', async (t) => {
  const select = selectAid(fromHex('F0010203040506'))
  t.equal(hex(encodeCommandApdu(select)), '00 A4 04 00 07 F0 01 02 03 04 05 06 00')
  t.same(decodeCommandApdu(fromHex('00A4040007F001020304050600')), select)
})

t.test('selects the PayAll AID, F0 then "PAYALL"', async (t) => {
  t.equal(PAYALL_AID_HEX, 'F0504159414C4C')
  t.equal(Buffer.from(payAllAid().subarray(1)).toString('ascii'), 'PAYALL')
  t.equal(hex(encodeCommandApdu(selectPayAll())), '00 A4 04 00 07 F0 50 41 59 41 4C 4C 00')
})

t.test('refuses AIDs shorter than 5 or longer than 16 bytes', async (t) => {
  t.throws(() => selectAid(new Uint8Array(4)), { code: 'BAD_APDU' })
  t.throws(() => selectAid(new Uint8Array(17)), { code: 'BAD_APDU' })
  t.equal(encodeCommandApdu(selectAid(new Uint8Array(5))).length, 11)
  t.equal(encodeCommandApdu(selectAid(new Uint8Array(16))).length, 22)
})

t.test('encodes and decodes the four short command cases', async (t) => {
  const caseOne = { cla: 0x80, ins: 0x50, p1: 0x01, p2: 0x02, data: EMPTY }
  t.equal(hex(encodeCommandApdu(caseOne)), '80 50 01 02')
  t.same(decodeCommandApdu(fromHex('80500102')), caseOne)

  const caseTwo = getResponseCommand(256)
  t.equal(hex(encodeCommandApdu(caseTwo)), '00 C0 00 00 00')
  t.same(decodeCommandApdu(fromHex('00C0000000')), caseTwo)
  t.equal(decodeCommandApdu(fromHex('00C0000010')).le, 16)

  const caseThree = { cla: 0x80, ins: 0x50, p1: 0, p2: 0, data: fromHex('AABBCC') }
  t.equal(hex(encodeCommandApdu(caseThree)), '80 50 00 00 03 AA BB CC')
  t.same(decodeCommandApdu(fromHex('8050000003AABBCC')), caseThree)

  const caseFour = { ...caseThree, le: 1 }
  t.equal(hex(encodeCommandApdu(caseFour)), '80 50 00 00 03 AA BB CC 01')
  t.same(decodeCommandApdu(fromHex('8050000003AABBCC01')), caseFour)

  const longest = { cla: 0, ins: 0, p1: 0, p2: 0, data: pattern(255, 1), le: 256 }
  t.equal(encodeCommandApdu(longest).length, 261)
  t.same(decodeCommandApdu(encodeCommandApdu(longest)), longest)
})

t.test('rejects malformed command APDUs with BAD_APDU', async (t) => {
  const bad = [
    '', // no header
    '805000',
    '8050000000AA', // Lc 00 with data: extended length
    '805000000000FF', // extended length
    '8050000003AABB', // Lc longer than the data
    '8050000002AABBCCDD', // Lc shorter than the data, too much for a single Le
  ]
  for (const text of bad) t.throws(() => decodeCommandApdu(fromHex(text)), { code: 'BAD_APDU' }, text)
  t.throws(() => decodeCommandApdu(new Uint8Array(262)), { code: 'BAD_APDU' })
  t.throws(() => decodeCommandApdu([0, 0xa4, 4, 0] as unknown as Uint8Array), { code: 'BAD_APDU' })
})

t.test('refuses to encode commands that do not fit a short APDU', async (t) => {
  const base = { cla: 0x80, ins: 0x50, p1: 0, p2: 0, data: EMPTY }
  t.throws(() => encodeCommandApdu({ ...base, data: new Uint8Array(256) }), { code: 'BAD_APDU' })
  t.throws(() => encodeCommandApdu({ ...base, le: 0 }), { code: 'BAD_APDU' })
  t.throws(() => encodeCommandApdu({ ...base, le: 257 }), { code: 'BAD_APDU' })
  t.throws(() => encodeCommandApdu({ ...base, cla: 256 }), { code: 'BAD_APDU' })
  t.throws(() => encodeCommandApdu({ ...base, p1: -1 }), { code: 'BAD_APDU' })
  t.throws(() => encodeCommandApdu({ ...base, p2: 1.5 }), { code: 'BAD_APDU' })
})

t.test('round-trips every short command APDU', async (t) => {
  fc.assert(
    fc.property(validCommand, (command) => {
      const decoded = decodeCommandApdu(encodeCommandApdu(command))
      return (
        decoded.cla === command.cla &&
        decoded.ins === command.ins &&
        decoded.p1 === command.p1 &&
        decoded.p2 === command.p2 &&
        equalBytes(decoded.data, command.data) &&
        decoded.le === command.le
      )
    }),
    { seed: SEED, numRuns: 2000 },
  )
  t.pass('2000 round trips')
})

t.test('encodes and decodes responses, data then status word', async (t) => {
  t.equal(hex(encodeResponseApdu({ data: fromHex('0102'), sw: SW_OK })), '01 02 90 00')
  t.same(decodeResponseApdu(fromHex('9000')), { data: EMPTY, sw: SW_OK })
  t.same(decodeResponseApdu(fromHex('AB6A82')), { data: fromHex('AB'), sw: SW_FILE_NOT_FOUND })
  fc.assert(
    fc.property(validResponse, (response) => {
      const decoded = decodeResponseApdu(encodeResponseApdu(response))
      return decoded.sw === response.sw && equalBytes(decoded.data, response.data)
    }),
    { seed: SEED, numRuns: 2000 },
  )
})

t.test('rejects malformed responses with BAD_APDU', async (t) => {
  t.throws(() => decodeResponseApdu(EMPTY), { code: 'BAD_APDU' })
  t.throws(() => decodeResponseApdu(fromHex('90')), { code: 'BAD_APDU' })
  t.throws(() => decodeResponseApdu(new Uint8Array([...new Uint8Array(257), 0x90, 0x00])), { code: 'BAD_APDU' })
  t.throws(() => decodeResponseApdu(fromHex('6000')), { code: 'BAD_APDU' }, 'SW1 60 is a T=0 procedure byte')
  t.throws(() => decodeResponseApdu(fromHex('0102')), { code: 'BAD_APDU' }, 'SW1 must be 6x or 9x')
  t.throws(() => decodeResponseApdu(fromHex('A000')), { code: 'BAD_APDU' })
  t.throws(() => encodeResponseApdu({ data: new Uint8Array(257), sw: SW_OK }), { code: 'BAD_APDU' })
  t.throws(() => encodeResponseApdu({ data: EMPTY, sw: 0x10000 }), { code: 'BAD_APDU' })
})

t.test('names the status words a reader meets', async (t) => {
  t.equal(SW_OK, 0x9000)
  t.equal(SW_FILE_NOT_FOUND, 0x6a82)
  t.equal(SW_WRONG_P1P2, 0x6a86)
  t.equal(SW_SECURITY_NOT_SATISFIED, 0x6982)
  t.equal(SW_INS_NOT_SUPPORTED, 0x6d00)
  t.equal(SW_CLA_NOT_SUPPORTED, 0x6e00)
  t.equal(SW_WRONG_LENGTH, 0x6700)
  t.equal(SW_UNKNOWN, 0x6f00)
  t.equal(describeStatusWord(SW_OK), 'ok (9000)')
  t.equal(describeStatusWord(SW_FILE_NOT_FOUND), 'application not found (6A82)')
  t.equal(describeStatusWord(0x6110), 'more data available (16 bytes): send GET RESPONSE')
  t.equal(describeStatusWord(0x6100), 'more data available (256 bytes): send GET RESPONSE')
  t.equal(describeStatusWord(0x6a80), 'status word 6A80')
  t.equal(describeStatusWord(-1), 'not a status word: -1')
  t.ok(isMoreData(0x61ff))
  t.notOk(isMoreData(SW_OK))
  t.equal(moreDataLength(0x6158), 0x58)
  t.throws(() => moreDataLength(SW_OK), { code: 'BAD_APDU' })
})

t.test('chains a 600-byte command in 255-byte links, chaining bit on all but the last', async (t) => {
  const links = chainCommand(CLA_PROPRIETARY, INS_PAYMENT_REQUEST, 0, 0, pattern(600, 7), 255, 256)
  t.same(
    links.map((link) => link.cla),
    [0x90, 0x90, 0x80],
  )
  t.same(
    links.map((link) => link.data.length),
    [255, 255, 90],
  )
  t.same(
    links.map((link) => link.le),
    [undefined, undefined, 256],
  )
  const encoded = links.map(encodeCommandApdu)
  t.equal(hex(encoded[0]!.subarray(0, 5)), '90 50 00 00 FF')
  t.equal(hex(encoded[2]!.subarray(0, 5)), '80 50 00 00 5A')
  t.equal(encoded[2]![encoded[2]!.length - 1], 0x00, 'Le 00 on the last link')
})

t.test('chains an empty command as one APDU without Lc', async (t) => {
  const links = chainCommand(CLA_PROPRIETARY, INS_PAYMENT_REQUEST, 0, 0, EMPTY)
  t.equal(links.length, 1)
  t.equal(hex(encodeCommandApdu(links[0]!)), '80 50 00 00')
})

t.test('refuses to chain past the message bound, with a taken chaining bit or a bad chunk size', async (t) => {
  t.throws(() => chainCommand(0x80, 0x50, 0, 0, new Uint8Array(MESSAGE_MAX_BYTES + 1)), { code: 'BAD_LENGTH' })
  t.throws(() => chainCommand(0x90, 0x50, 0, 0, new Uint8Array(10)), { code: 'BAD_APDU' })
  t.throws(() => chainCommand(0x80, 0x50, 0, 0, new Uint8Array(10), 0), { code: 'OUT_OF_RANGE' })
  t.throws(() => chainCommand(0x80, 0x50, 0, 0, new Uint8Array(10), 256), { code: 'OUT_OF_RANGE' })
  t.throws(() => chainResponse(new Uint8Array(MESSAGE_MAX_BYTES + 1), SW_OK), { code: 'BAD_LENGTH' })
  t.throws(() => chainResponse(new Uint8Array(10), 0x6110), { code: 'BAD_APDU' })
  t.throws(() => chainResponse(new Uint8Array(10), SW_OK, 257), { code: 'OUT_OF_RANGE' })
  t.throws(() => paymentRequestCommand(new Uint8Array(MESSAGE_MAX_BYTES + 1)), { code: 'BAD_LENGTH' })
})

t.test('chains a 600-byte response as 61 00, 61 58, then the final status word', async (t) => {
  const responses = chainResponse(pattern(600, 9), SW_OK)
  t.same(
    responses.map((response) => response.sw),
    [0x6100, 0x6158, SW_OK],
  )
  t.same(
    responses.map((response) => response.data.length),
    [256, 256, 88],
  )
  t.same(chainResponse(EMPTY, SW_FILE_NOT_FOUND), [{ data: EMPTY, sw: SW_FILE_NOT_FOUND }])
})

t.test('chaining splits and rejoins any message without loss', async (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: MESSAGE_MAX_BYTES }),
      fc.integer({ min: 1, max: 255 }),
      fc.integer({ min: 1, max: 256 }),
      finalStatusWord,
      (data, commandChunk_bytes, responseChunk_bytes, sw) => {
        const links = chainCommand(0x80, 0x50, 1, 2, data, commandChunk_bytes)
        const assembler = new CommandAssembler()
        let whole: CommandApdu | undefined
        for (const [index, link] of links.entries()) {
          const last = index === links.length - 1
          if (link.data.length > commandChunk_bytes || ((link.cla & CLA_CHAINING) !== 0) === last) return false
          whole = assembler.push(decodeCommandApdu(encodeCommandApdu(link)))
          if ((whole === undefined) === last) return false
        }
        if (whole === undefined || !equalBytes(whole.data, data) || whole.cla !== 0x80) return false
        const responses = chainResponse(data, sw, responseChunk_bytes)
        const collector = new ResponseAssembler(MESSAGE_MAX_BYTES, MESSAGE_MAX_BYTES)
        for (const [index, response] of responses.entries()) {
          const step = collector.push(decodeResponseApdu(encodeResponseApdu(response)))
          const last = index === responses.length - 1
          if ((step.kind === 'complete') !== last) return false
          if (step.kind === 'complete') return step.response.sw === sw && equalBytes(step.response.data, data)
        }
        return false
      },
    ),
    { seed: SEED, numRuns: 300 },
  )
  t.pass('300 messages')
})

for (const size of CHAIN_SIZES_BYTES) {
  t.test(`exchanges a ${size}-byte payment request and a ${size}-byte answer through a fake phone`, async (t) => {
    const request = pattern(size, 1)
    const answer = pattern(size, 2)
    const phone = fakePhone((command) =>
      command.cla === CLA_PROPRIETARY && command.ins === INS_PAYMENT_REQUEST && equalBytes(command.data, request)
        ? { data: answer, sw: SW_OK }
        : { data: EMPTY, sw: SW_WRONG_LENGTH },
    )
    const response = await exchangeChained(phone.transmit, paymentRequestCommand(request))
    t.equal(response.sw, SW_OK)
    t.ok(equalBytes(response.data, answer), 'whole answer received')
    t.equal(phone.commands.length, 1, 'the phone saw one whole command')
    t.ok(equalBytes(phone.commands[0]!.data, request), 'the phone saw the whole request')
    const links = Math.max(1, Math.ceil(size / 255))
    const getResponses = Math.max(0, Math.ceil(size / 256) - 1)
    t.equal(phone.received.length, links + getResponses, `${links} links and ${getResponses} GET RESPONSE`)
    t.ok(phone.received.slice(links).every((command) => command.ins === INS_GET_RESPONSE))
  })
}

t.test('exchanges through a reader with small frames and a phone that answers in small pieces', async (t) => {
  const request = pattern(1000, 3)
  const answer = pattern(300, 4)
  const phone = fakePhone(() => ({ data: answer, sw: SW_OK }), 100)
  const response = await exchangeChained(phone.transmit, paymentRequestCommand(request), { chunkMaxBytes: 240 })
  t.ok(equalBytes(response.data, answer))
  t.ok(equalBytes(phone.commands[0]!.data, request))
  t.same(
    phone.received.map((command) => command.data.length),
    [240, 240, 240, 240, 40, 0, 0],
  )
  t.same(
    phone.received.slice(5).map((command) => command.le),
    [200, 100],
    'GET RESPONSE asks for what 61xx announced',
  )
})

t.test('selects the PayAll application and reports 6A82 for an unknown AID', async (t) => {
  const phone = fakePhone((command) =>
    command.ins === 0xa4 && equalBytes(command.data, payAllAid()) ? { data: EMPTY, sw: SW_OK } : { data: EMPTY, sw: SW_FILE_NOT_FOUND },
  )
  t.same(await exchangeChained(phone.transmit, selectPayAll()), { data: EMPTY, sw: SW_OK })
  t.same(await exchangeChained(phone.transmit, selectAid(fromHex('F0010203040506'))), { data: EMPTY, sw: SW_FILE_NOT_FOUND })
})

t.test('passes on a phone that refuses a link of the command chain, without sending the rest', async (t) => {
  const sent: Uint8Array[] = []
  const transmit: Transmit = async (bytes) => {
    sent.push(bytes)
    return fromHex('6884')
  }
  const response = await exchangeChained(transmit, paymentRequestCommand(pattern(600, 5)))
  t.same(response, { data: EMPTY, sw: 0x6884 })
  t.equal(sent.length, 1)
})

t.test('rejects a phone that answers a chain link with data or with 61xx', async (t) => {
  await t.rejects(
    exchangeChained(async () => fromHex('AA9000'), paymentRequestCommand(pattern(600, 5))),
    { code: 'BAD_APDU' },
  )
  await t.rejects(
    exchangeChained(async () => fromHex('6110'), paymentRequestCommand(pattern(600, 5))),
    { code: 'BAD_APDU' },
  )
})

t.test('stops a phone that announces more data forever after the round bound', async (t) => {
  let rounds = 0
  const transmit: Transmit = async () => {
    rounds += 1
    return fromHex('6100')
  }
  await t.rejects(exchangeChained(transmit, selectPayAll()), { code: 'TOO_MANY' })
  t.equal(rounds, GET_RESPONSE_ROUNDS_MAX + 1)
})

t.test('stops a response that grows past the message bound', async (t) => {
  const transmit: Transmit = async () => new Uint8Array([...pattern(256, 0), 0x61, 0x00])
  await t.rejects(exchangeChained(transmit, selectPayAll(), { getResponseRoundsMax: 1000 }), { code: 'BAD_LENGTH' })
  const collector = new ResponseAssembler(300)
  t.equal(collector.push({ data: pattern(256, 0), sw: 0x6100 }).kind, 'more')
  t.throws(() => collector.push({ data: pattern(100, 0), sw: SW_OK }), { code: 'BAD_LENGTH' })
})

t.test('rejects a phone that returns more than GET RESPONSE asked for', async (t) => {
  const collector = new ResponseAssembler()
  const step = collector.push({ data: EMPTY, sw: 0x6105 })
  t.same(step, { kind: 'more', getResponse: getResponseCommand(5) })
  t.throws(() => collector.push({ data: pattern(6, 0), sw: SW_OK }), { code: 'BAD_APDU' })
})

t.test('the command assembler refuses a chain over its bound and starts afresh', async (t) => {
  const assembler = new CommandAssembler()
  const links = chainCommand(0x80, 0x50, 0, 0, pattern(MESSAGE_MAX_BYTES, 0))
  t.equal(links.length, 17)
  for (const link of links.slice(0, -1)) t.equal(assembler.push(link), undefined)
  t.throws(() => assembler.push({ cla: 0x80, ins: 0x50, p1: 0, p2: 0, data: pattern(255, 0) }), { code: 'BAD_LENGTH' })
  t.notOk(assembler.pending, 'the chain was dropped')
  const small = new CommandAssembler(300)
  t.equal(small.push({ cla: 0x90, ins: 0x50, p1: 0, p2: 0, data: pattern(255, 0) }), undefined)
  t.throws(() => small.push({ cla: 0x80, ins: 0x50, p1: 0, p2: 0, data: pattern(46, 0) }), { code: 'BAD_LENGTH' })
})

t.test('the command assembler refuses an interrupted chain and an empty link', async (t) => {
  const assembler = new CommandAssembler()
  t.equal(assembler.push({ cla: 0x90, ins: 0x50, p1: 0, p2: 0, data: pattern(10, 0) }), undefined)
  t.ok(assembler.pending)
  t.throws(() => assembler.push(selectPayAll()), { code: 'BAD_APDU' })
  t.notOk(assembler.pending)
  t.same(assembler.push(selectPayAll()), selectPayAll(), 'a fresh command goes through after the reset')
  t.throws(() => assembler.push({ cla: 0x90, ins: 0x50, p1: 0, p2: 0, data: EMPTY }), { code: 'BAD_APDU' })
  assembler.push({ cla: 0x90, ins: 0x50, p1: 0, p2: 0, data: pattern(10, 0) })
  assembler.reset()
  t.notOk(assembler.pending, 'reset drops an open chain (the phone left the field)')
})

t.test('fuzzed command and response bytes only ever raise ProtocolError, and what decodes re-encodes exactly', async (t) => {
  const commandBytes = fc.oneof(fc.uint8Array({ maxLength: 270 }), mutated(validCommand.map(encodeCommandApdu)))
  fc.assert(
    fc.property(commandBytes, (bytes) => {
      onlyProtocolErrors(() => {
        const decoded = decodeCommandApdu(bytes)
        if (!equalBytes(encodeCommandApdu(decoded), bytes)) throw new Error(`${hex(bytes)} does not re-encode`)
      })
    }),
    { seed: SEED, numRuns: 5000 },
  )
  const responseBytes = fc.oneof(fc.uint8Array({ maxLength: 270 }), mutated(validResponse.map(encodeResponseApdu)))
  fc.assert(
    fc.property(responseBytes, (bytes) => {
      onlyProtocolErrors(() => {
        const decoded = decodeResponseApdu(bytes)
        if (!equalBytes(encodeResponseApdu(decoded), bytes)) throw new Error(`${hex(bytes)} does not re-encode`)
      })
    }),
    { seed: SEED, numRuns: 5000 },
  )
  fc.assert(
    fc.property(fc.anything(), (value) => {
      onlyProtocolErrors(() => decodeCommandApdu(value as Uint8Array))
      onlyProtocolErrors(() => decodeResponseApdu(value as Uint8Array))
      onlyProtocolErrors(() => encodeCommandApdu(value as CommandApdu))
      onlyProtocolErrors(() => encodeResponseApdu(value as ResponseApdu))
      onlyProtocolErrors(() => selectAid(value as Uint8Array))
    }),
    { seed: SEED, numRuns: 2000 },
  )
  t.pass('no other exception')
})

t.test('fuzzed command sequences only ever make the assembler raise ProtocolError', async (t) => {
  const chainLink = fc.record({
    cla: fc.constantFrom(0x80, 0x90, 0x00, 0x10),
    ins: fc.constantFrom(0x50, 0xa4),
    p1: fc.constantFrom(0, 1),
    p2: fc.constant(0),
    data: fc.uint8Array({ maxLength: 255 }),
  })
  fc.assert(
    fc.property(fc.array(fc.oneof(chainLink, validCommand), { maxLength: 40 }), (commands) => {
      const assembler = new CommandAssembler(1000)
      for (const command of commands) {
        onlyProtocolErrors(() => {
          const whole = assembler.push(command)
          if (whole !== undefined && whole.data.length > 1000) throw new Error('assembled past the bound')
        })
      }
    }),
    { seed: SEED, numRuns: 1000 },
  )
  t.pass('no other exception')
})

t.test('a fuzzed phone only ever makes the exchange raise ProtocolError', async (t) => {
  const answerEdits = fc.array(fc.option(fc.array(byteEdit, { minLength: 1, maxLength: 3 }), { nil: undefined }), {
    maxLength: 30,
  })
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 1200 }),
      fc.integer({ min: 0, max: 1200 }),
      answerEdits,
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }),
      async (request_bytes, answer_bytes, edits, garbage) => {
        const honest = fakePhone(() => ({ data: pattern(answer_bytes, 6), sw: SW_OK }), 128)
        let round = 0
        const transmit: Transmit = async (bytes) => {
          const index = round++
          const answer = await honest.transmit(bytes)
          const edit = edits[index]
          if (edit !== undefined) return applyEdits(answer, edit)
          return garbage[index] ?? answer
        }
        await onlyProtocolErrorsAsync(() => exchangeChained(transmit, paymentRequestCommand(pattern(request_bytes, 5))))
      },
    ),
    { seed: SEED, numRuns: 500 },
  )
  t.pass('no other exception')
})
