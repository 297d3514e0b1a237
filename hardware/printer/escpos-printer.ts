// The receipt printer as a `Printer`: ESC/POS over an open serial port. Each job first asks the
// paper sensor and the offline cause (DLE EOT 4 and 2), so an empty roll or an open cover is a
// typed error before any byte of the receipt is sent, then writes the job within a time limit.

import type { SerialPortStream } from '@serialport/stream'
import type { Cancel, Clock } from '../../protocol/clock'
import { CodedError } from '../../protocol/errors'
import { SerialQueue } from '../../protocol/serial-queue'
import type { PrintExtras, Printer } from '../devices'
import { EscPosError, receiptBytes, statusRequest, STATUS_REQUEST } from './escpos'

export type PrinterErrorCode =
  | 'PAPER_OUT'
  | 'COVER_OPEN'
  | 'PRINTER_FAULT' // the printer reports an error (cutter jam, head overheat…)
  | 'NO_ANSWER' // no status byte in time: unplugged, off, or another device on the port
  | 'BAD_STATUS' // a status byte whose fixed bits are wrong: not an ESC/POS printer, or line noise
  | 'WRITE_TIMEOUT'
  | 'WRITE_FAILED'
  | 'PORT_CLOSED'
  | 'BAD_CONTENT' // nothing printable: a QR payload too large for a QR code, …

export class PrinterError extends CodedError<PrinterErrorCode> {
  override readonly name = 'PrinterError'
}

export type PaperState = 'present' | 'near-end' | 'out'

export interface PrinterStatus {
  readonly paper: PaperState
  readonly coverOpen: boolean
  readonly fault: boolean
}

/**
 * Status bytes (Epson ESC/POS, DLE EOT): bits 1 and 4 are always 1, bits 0 and 7 always 0.
 * n = 4 (roll paper sensor): bits 2-3 paper near end, bits 5-6 paper end.
 * n = 2 (offline cause): bit 2 cover open, bit 5 stopped for paper end, bit 6 error.
 */
const FIXED_MASK = 0x93
const FIXED_VALUE = 0x12

export function parsePaperStatus(byte: number): PaperState {
  assertFixedBits(byte, 'paper sensor')
  if ((byte & 0x60) !== 0) return 'out'
  if ((byte & 0x0c) !== 0) return 'near-end'
  return 'present'
}

export function parseOfflineCause(byte: number): { coverOpen: boolean; paperOut: boolean; fault: boolean } {
  assertFixedBits(byte, 'offline cause')
  return { coverOpen: (byte & 0x04) !== 0, paperOut: (byte & 0x20) !== 0, fault: (byte & 0x40) !== 0 }
}

function assertFixedBits(byte: number, what: string): void {
  if ((byte & FIXED_MASK) !== FIXED_VALUE) {
    throw new PrinterError('BAD_STATUS', `${what} status 0x${byte.toString(16).padStart(2, '0')} is not an ESC/POS status byte`)
  }
}

/** Jobs and status queries queued, the running one included: more means the printer is stuck, and the next is refused QUEUE_FULL. */
const PRINTER_JOBS_MAX = 4

export interface EscPosPrinterOptions {
  /** Time for a status byte to come back. */
  readonly statusTimeout_ms?: number
  /** Time for a job to leave the port (flow control can hold it back forever). */
  readonly writeTimeout_ms?: number
  readonly qrModuleSize?: number
}

export class EscPosPrinter implements Printer {
  private readonly statusTimeout_ms: number
  private readonly writeTimeout_ms: number
  private readonly clock: Clock
  private waitingForStatus: ((byte: number) => void) | undefined
  /** One job or status query at a time: their bytes and answers never interleave. */
  private readonly jobs = new SerialQueue(PRINTER_JOBS_MAX, 'the printer')
  private readonly onData = (chunk: Buffer): void => {
    const waiter = this.waitingForStatus
    // Bytes nobody asked for (a status answered after its timeout, noise) are dropped.
    if (waiter === undefined || chunk.length === 0) return
    this.waitingForStatus = undefined
    waiter(chunk[0]!)
  }
  /** Each write reports its own error to its job; without a listener the stream's 'error' event would crash the process. */
  private readonly onError = (): void => undefined

  /** Takes an open port and the clock its status and write timeouts run on. */
  constructor(private readonly port: SerialPortStream, clock: Clock, private readonly options: EscPosPrinterOptions = {}) {
    this.statusTimeout_ms = options.statusTimeout_ms ?? 1_000
    this.writeTimeout_ms = options.writeTimeout_ms ?? 10_000
    this.clock = clock
    port.on('data', this.onData)
    port.on('error', this.onError)
  }

  /** Stops listening to the port; the caller owns the port and closes it. */
  detach(): void {
    this.port.off('data', this.onData)
    this.port.off('error', this.onError)
  }

  async print(text: string, extras: PrintExtras = {}): Promise<void> {
    let bytes: Uint8Array
    try {
      bytes = receiptBytes(text, {
        ...(extras.qrPayload !== undefined && { qrPayload: extras.qrPayload }),
        ...(this.options.qrModuleSize !== undefined && { qrModuleSize: this.options.qrModuleSize }),
      })
    } catch (error) {
      if (error instanceof EscPosError) throw new PrinterError('BAD_CONTENT', error.message, { cause: error })
      throw error
    }
    return this.serially(async () => {
      const status = await this.readStatus()
      if (status.paper === 'out') throw new PrinterError('PAPER_OUT', 'the printer has no paper')
      if (status.coverOpen) throw new PrinterError('COVER_OPEN', 'the printer cover is open')
      if (status.fault) throw new PrinterError('PRINTER_FAULT', 'the printer reports an error')
      await this.write(bytes)
    })
  }

  /** The paper sensor and the offline cause, as the printer reports them now. */
  status(): Promise<PrinterStatus> {
    return this.serially(() => this.readStatus())
  }

  private async readStatus(): Promise<PrinterStatus> {
    const paper = parsePaperStatus(await this.query(STATUS_REQUEST.paperSensor))
    const offline = parseOfflineCause(await this.query(STATUS_REQUEST.offlineCause))
    return { paper: offline.paperOut ? 'out' : paper, coverOpen: offline.coverOpen, fault: offline.fault }
  }

  private async query(which: number): Promise<number> {
    let cancelTimer: Cancel = () => undefined
    const answer = new Promise<number>((resolve, reject) => {
      cancelTimer = this.clock.setTimer(() => {
        this.waitingForStatus = undefined
        reject(new PrinterError('NO_ANSWER', `no answer to DLE EOT ${which} within ${this.statusTimeout_ms} ms`))
      }, this.statusTimeout_ms)
      this.waitingForStatus = byte => {
        cancelTimer()
        resolve(byte)
      }
    })
    try {
      await this.write(statusRequest(which))
    } catch (error) {
      cancelTimer()
      this.waitingForStatus = undefined
      answer.catch(() => undefined) // its timer may have fired while the write hung
      throw error
    }
    return answer
  }

  private write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port.isOpen) {
        reject(new PrinterError('PORT_CLOSED', 'the printer port is not open'))
        return
      }
      let settled = false
      const finish = (error?: PrinterError): void => {
        if (settled) return
        settled = true
        cancel()
        if (error === undefined) resolve()
        else reject(error)
      }
      const cancel = this.clock.setTimer(
        () => finish(new PrinterError('WRITE_TIMEOUT', `${bytes.length} bytes not sent within ${this.writeTimeout_ms} ms`)),
        this.writeTimeout_ms,
      )
      this.port.write(Buffer.from(bytes), error => {
        if (error) {
          finish(new PrinterError('WRITE_FAILED', error.message, { cause: error }))
          return
        }
        this.port.drain(drainError => {
          finish(drainError ? new PrinterError('WRITE_FAILED', drainError.message, { cause: drainError }) : undefined)
        })
      })
    })
  }

  /** Runs `job` after the ones before it; QUEUE_FULL (QueueFullError) past PRINTER_JOBS_MAX. */
  private serially<T>(job: () => Promise<T>): Promise<T> {
    return this.jobs.run(job)
  }
}
