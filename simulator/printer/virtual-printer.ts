// A receipt printer at the device end of a MockBinding port: it decodes the ESC/POS bytes the
// driver writes into what comes out on paper (lines with their print modes, QR codes with their
// stored data, cuts), answers DLE EOT status requests in real time, and can run out of paper,
// open its cover, hold the line busy (flow control) or stop answering.

import type { SerialPortMock } from 'serialport'
import { decodeCodePage858Byte, CODE_PAGE_858 } from '../../hardware/printer/code-page-858'
import type { Alignment } from '../../hardware/printer/escpos'
import type { PaperState } from '../../hardware/printer/escpos-printer'
import { DLE, EOT, ESC, GS, LF, QR_FUNCTION } from '../../hardware/printer/escpos'

export type { PaperState }

interface PrintedLine {
  readonly kind: 'line'
  readonly text: string
  readonly bold: boolean
  readonly doubleHeight: boolean
  readonly align: Alignment
}

export interface PrintedQr {
  readonly kind: 'qr'
  readonly data: string
  readonly model: number
  readonly moduleSize: number
  readonly errorCorrection: 'L' | 'M' | 'Q' | 'H'
}

export type PaperItem = PrintedLine | PrintedQr | { readonly kind: 'cut' }

/** One cut-off piece of paper: its text lines and QR codes. */
export interface PrintedReceipt {
  readonly lines: readonly string[]
  readonly qrCodes: readonly string[]
}

/** Bytes of the command starting at 0, or 0 when more bytes are needed. */
type Handler = (buffer: Buffer) => number

const ALIGNMENTS: readonly Alignment[] = ['left', 'center', 'right']
const LEVELS = ['L', 'M', 'Q', 'H'] as const
/** A print job bigger than this is not a receipt: the emulator keeps memory bounded. */
const PENDING_MAX_BYTES = 64 * 1024

export class VirtualPrinter {
  readonly paperItems: PaperItem[] = []
  /** Command bytes the printer did not know, as hex: a test asserts there are none. */
  readonly unknownCommands: string[] = []
  /** Bytes received while the paper was out: a real printer goes offline and prints none of them. */
  discarded_bytes = 0
  paper: PaperState = 'present'
  coverOpen = false
  fault = false
  /** When false the printer never answers a status request (unplugged, wrong port). */
  answersStatus = true

  private pending = Buffer.alloc(0)
  private lineBuffer = ''
  private align: Alignment = 'left'
  private bold = false
  private doubleHeight = false
  private codePage = 0
  private qr = { model: 2, moduleSize: 3, errorCorrection: 'L' as PrintedQr['errorCorrection'], data: undefined as Buffer | undefined }
  private writesHeld = false
  private readonly heldWrites: Array<() => void> = []

  /** Attaches to an open mock port: everything the application writes reaches the printer. */
  constructor(private readonly port: SerialPortMock) {
    const binding = port.port
    if (binding === undefined) throw new Error('open the mock port before attaching the virtual printer')
    const write = binding.write.bind(binding)
    binding.write = async (buffer: Buffer): Promise<void> => {
      if (this.writesHeld) await new Promise<void>(release => this.heldWrites.push(release))
      await write(buffer)
      this.receive(buffer)
    }
  }

  /** Flow control holds the line busy: writes do not complete until `releaseWrites`. */
  holdWrites(): void {
    this.writesHeld = true
  }

  releaseWrites(): void {
    this.writesHeld = false
    for (const release of this.heldWrites.splice(0)) release()
  }

  /** The paper cut into receipts; text after the last cut is not a receipt yet. */
  receipts(): PrintedReceipt[] {
    const receipts: PrintedReceipt[] = []
    let lines: string[] = []
    let qrCodes: string[] = []
    for (const item of this.paperItems) {
      if (item.kind === 'line') lines.push(item.text)
      else if (item.kind === 'qr') qrCodes.push(item.data)
      else {
        receipts.push({ lines, qrCodes })
        lines = []
        qrCodes = []
      }
    }
    return receipts
  }

  private receive(bytes: Buffer): void {
    this.pending = Buffer.concat([this.pending, bytes])
    while (this.pending.length > 0) {
      const used = this.command(this.pending)
      if (used === 0) break
      this.pending = this.pending.subarray(used)
    }
    if (this.pending.length > PENDING_MAX_BYTES) {
      this.unknownCommands.push(`unterminated ${this.pending.subarray(0, 8).toString('hex')}`)
      this.pending = Buffer.alloc(0)
    }
  }

  private command(buffer: Buffer): number {
    const first = buffer[0]!
    // Real-time status requests are answered even while the printer is offline.
    if (first === DLE) return this.realTime(buffer)
    if (this.paper === 'out' || this.coverOpen) {
      const next = buffer.indexOf(DLE)
      const skipped = next === -1 ? buffer.length : next
      this.discarded_bytes += skipped
      return skipped
    }
    if (first === ESC) return this.escape(buffer)
    if (first === GS) return this.group(buffer)
    if (first === LF) {
      this.flushLine(true)
      return 1
    }
    if (first < 0x20) {
      if (first !== 0x0d) this.unknownCommands.push(first.toString(16).padStart(2, '0'))
      return 1
    }
    this.lineBuffer += this.codePage === CODE_PAGE_858 || first < 0x80 ? decodeCodePage858Byte(first) : '\ufffd'
    return 1
  }

  private realTime(buffer: Buffer): number {
    if (buffer.length < 3) return 0
    if (buffer[1] !== EOT) {
      this.unknown(buffer, 2)
      return 2
    }
    const which = buffer[2]!
    if (this.answersStatus) {
      const binding = this.port.port!
      const status = this.statusByte(which)
      if (status !== undefined) binding.emitData(Buffer.of(status))
    }
    return 3
  }

  private statusByte(which: number): number | undefined {
    const base = 0x12
    switch (which) {
      case 1: return 0x16 | (this.paper === 'out' || this.coverOpen ? 0x08 : 0)
      case 2: return base | (this.coverOpen ? 0x04 : 0) | (this.paper === 'out' ? 0x20 : 0) | (this.fault ? 0x40 : 0)
      case 3: return base | (this.fault ? 0x40 : 0)
      case 4: return base | (this.paper === 'near-end' ? 0x0c : 0) | (this.paper === 'out' ? 0x6c : 0)
      default: return undefined
    }
  }

  private readonly escapes: Record<number, Handler> = {
    0x40: () => { // ESC @
      this.align = 'left'
      this.bold = false
      this.doubleHeight = false
      this.codePage = 0
      this.lineBuffer = ''
      return 2
    },
    0x74: withArgument(n => { this.codePage = n }), // ESC t n
    0x61: withArgument(n => { this.align = ALIGNMENTS[n % 48] ?? 'left' }), // ESC a n (0-2 or '0'-'2')
    0x45: withArgument(n => { this.bold = (n & 1) === 1 }), // ESC E n
    0x21: withArgument(n => { // ESC ! n
      this.bold = (n & 0x08) !== 0
      this.doubleHeight = (n & 0x10) !== 0
    }),
    0x64: withArgument(() => this.flushLine()), // ESC d n: print and feed
  }

  private escape(buffer: Buffer): number {
    if (buffer.length < 2) return 0
    const handler = this.escapes[buffer[1]!]
    if (handler === undefined) return this.unknown(buffer, 2)
    return handler(buffer)
  }

  private group(buffer: Buffer): number {
    if (buffer.length < 2) return 0
    switch (buffer[1]) {
      case 0x21: // GS ! n
        return withArgument(n => { this.doubleHeight = (n & 0x0f) !== 0 })(buffer)
      case 0x56: { // GS V m [n]
        if (buffer.length < 3) return 0
        const mode = buffer[2]!
        const length = mode === 65 || mode === 66 ? 4 : [0, 1, 48, 49].includes(mode) ? 3 : -1
        if (length === -1) return this.unknown(buffer, 3)
        if (buffer.length < length) return 0
        this.flushLine()
        this.paperItems.push({ kind: 'cut' })
        return length
      }
      case 0x28: { // GS ( k pL pH cn fn …
        if (buffer.length < 5) return 0
        const length = 5 + buffer[3]! + buffer[4]! * 256
        if (buffer.length < length) return 0
        if (buffer[2] !== 0x6b || buffer[5] !== 0x31) return this.unknown(buffer, length)
        this.qrFunction(buffer[6]!, buffer.subarray(7, length), buffer.subarray(0, length))
        return length
      }
      default:
        return this.unknown(buffer, 2)
    }
  }

  private qrFunction(fn: number, parameters: Buffer, whole: Buffer): void {
    switch (fn) {
      case QR_FUNCTION.model:
        this.qr.model = parameters[0]! - 0x30
        return
      case QR_FUNCTION.moduleSize:
        this.qr.moduleSize = parameters[0]!
        return
      case QR_FUNCTION.errorCorrection:
        this.qr.errorCorrection = LEVELS[parameters[0]! - 0x30] ?? 'L'
        return
      case QR_FUNCTION.store:
        this.qr.data = Buffer.from(parameters.subarray(1))
        return
      case QR_FUNCTION.print:
        if (this.qr.data === undefined) return
        this.flushLine()
        this.paperItems.push({
          kind: 'qr', data: this.qr.data.toString('utf8'), model: this.qr.model, moduleSize: this.qr.moduleSize,
          errorCorrection: this.qr.errorCorrection,
        })
        return
      default:
        this.unknownCommands.push(whole.toString('hex'))
    }
  }

  private unknown(buffer: Buffer, length: number): number {
    this.unknownCommands.push(buffer.subarray(0, length).toString('hex'))
    return length
  }

  /** LF prints the line even when empty (a blank line); the other commands print only what is buffered. */
  private flushLine(blank = false): void {
    if (this.lineBuffer === '' && !blank) return
    this.paperItems.push({ kind: 'line', text: this.lineBuffer, bold: this.bold, doubleHeight: this.doubleHeight, align: this.align })
    this.lineBuffer = ''
  }
}

function withArgument(apply: (argument: number) => void): Handler {
  return buffer => {
    if (buffer.length < 3) return 0
    apply(buffer[2]!)
    return 3
  }
}
