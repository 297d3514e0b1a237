// Text lines over an open serial port for the AT-command modems: lines end in CR LF or a bare LF,
// are bounded in length, and survive garbage and bytes that are not UTF-8. Commands run one at a
// time; each waits for its replies under a timeout on the injected clock.

import type { Cancel, Clock } from '../../protocol/clock'
import { QueueFullError, SerialQueue } from '../../protocol/serial-queue'
import { LoraError } from './modem'

/** What a driver needs of an open port: a serialport SerialPort or SerialPortMock fits. */
export interface SerialLink {
  readonly isOpen: boolean
  write(chunk: Buffer, callback: (error?: Error | null) => void): boolean
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'close', listener: () => void): unknown
  removeListener(event: 'data', listener: (chunk: Buffer) => void): unknown
  removeListener(event: 'close', listener: () => void): unknown
}

export type LineNoise =
  | { readonly kind: 'overlong'; readonly dropped_chars: number }
  | { readonly kind: 'inbox-overflow'; readonly line: string }
  | { readonly kind: 'partial-dropped'; readonly text: string }

export interface AtLineOptions {
  /** Every line no command claimed: events, late replies, garbage. */
  readonly onUnsolicited: (line: string) => void
  readonly onNoise?: (noise: LineNoise) => void
  readonly lineMax_chars?: number
}

/** A command's exclusive use of the port: write lines, then read the replies. */
export interface AtSession {
  write(line: string): Promise<void>
  /**
   * Offers each line received since the session began, then each new one, to `read` until it
   * returns a value (or throws, which fails the wait). Lines `read` passes over go to onUnsolicited.
   * Fails with NO_ANSWER when nothing fitting came within timeout_ms.
   */
  expect<Value>(timeout_ms: number, read: (line: string) => Value | undefined): Promise<Value>
}

const LINE_MAX_CHARS_DEFAULT = 1024
/** Lines held for a command between two reads; a modem sending more is misbehaving. */
const INBOX_LINES_MAX = 64
/** Commands queued for the port, the running one included; the next is refused BUSY at once. */
const COMMANDS_MAX = 16
// Printable ASCII: what both modems send; anything else at a line's ends is line noise.
const EDGE_NOISE = /^[^\x21-\x7e]+|[^\x21-\x7e]+$/g

interface Waiter {
  read(line: string): boolean
  fail(error: LoraError): void
}

export class AtLine {
  private readonly link: SerialLink
  private readonly options: AtLineOptions
  private readonly clock: Clock
  private readonly lineMax_chars: number
  private partial = ''
  private discarding = false
  private inbox: string[] | undefined
  private waiter: Waiter | undefined
  private readonly commands = new SerialQueue(COMMANDS_MAX, 'the modem line')
  private closedReason: string | undefined

  private readonly onData = (chunk: Buffer) => this.receive(chunk)
  private readonly onClose = () => this.close('the port closed')

  constructor(link: SerialLink, clock: Clock, options: AtLineOptions) {
    this.link = link
    this.options = options
    this.clock = clock
    this.lineMax_chars = options.lineMax_chars ?? LINE_MAX_CHARS_DEFAULT
    if (!Number.isSafeInteger(this.lineMax_chars) || this.lineMax_chars < 16) {
      throw new LoraError('BAD_SETTINGS', `lineMax_chars must be an integer >= 16, got ${this.lineMax_chars}`)
    }
    if (!link.isOpen) throw new LoraError('CLOSED', 'the port is not open')
    link.on('data', this.onData)
    link.on('close', this.onClose)
  }

  get closed(): boolean {
    return this.closedReason !== undefined
  }

  /**
   * Runs `work` when every command before it has finished. At most COMMANDS_MAX are queued, the
   * running one included: past that the command is refused BUSY, the modem's word for it, at once.
   */
  exclusive<Value>(work: (session: AtSession) => Promise<Value>): Promise<Value> {
    if (this.closedReason !== undefined) return Promise.reject(new LoraError('CLOSED', this.closedReason))
    return this.commands.run(() => this.session(work)).catch((error: unknown) => {
      if (error instanceof QueueFullError) throw new LoraError('BUSY', `${COMMANDS_MAX} commands already wait for the modem`, { cause: error })
      throw error
    })
  }

  private async session<Value>(work: (session: AtSession) => Promise<Value>): Promise<Value> {
    if (this.closedReason !== undefined) throw new LoraError('CLOSED', this.closedReason)
    this.inbox = []
    try {
      return await work({ write: (line) => this.write(line), expect: (timeout_ms, read) => this.expect(timeout_ms, read) })
    } finally {
      const leftover = this.inbox ?? []
      this.inbox = undefined
      this.waiter = undefined
      for (const line of leftover) this.unsolicited(line)
    }
  }

  /** Stops listening and fails the command in progress; the port stays open for its owner to close. */
  close(reason = 'the driver was closed'): void {
    if (this.closedReason !== undefined) return
    this.closedReason = reason
    this.link.removeListener('data', this.onData)
    this.link.removeListener('close', this.onClose)
    this.waiter?.fail(new LoraError('CLOSED', reason))
  }

  private write(line: string): Promise<void> {
    if (/[\r\n]/.test(line)) throw new Error(`assertion failed: a command is one line: ${JSON.stringify(line)}`)
    if (this.closedReason !== undefined) return Promise.reject(new LoraError('CLOSED', this.closedReason))
    return new Promise((resolve, reject) => {
      this.link.write(Buffer.from(`${line}\r\n`, 'latin1'), (error) => {
        if (error) reject(new LoraError('CLOSED', `write failed: ${error.message}`, { cause: error }))
        else resolve()
      })
    })
  }

  private expect<Value>(timeout_ms: number, read: (line: string) => Value | undefined): Promise<Value> {
    if (this.inbox === undefined) throw new Error('assertion failed: expect outside a session')
    if (this.waiter !== undefined) throw new Error('assertion failed: one expect at a time')
    if (this.closedReason !== undefined) return Promise.reject(new LoraError('CLOSED', this.closedReason))
    return new Promise<Value>((resolve, reject) => {
      let cancel: Cancel = () => undefined
      const finish = () => {
        cancel()
        this.waiter = undefined
      }
      const waiter: Waiter = {
        read: (line) => {
          let value: Value | undefined
          try {
            value = read(line)
          } catch (error) {
            finish()
            reject(error)
            return true
          }
          if (value === undefined) {
            this.unsolicited(line)
            return false
          }
          finish()
          resolve(value)
          return true
        },
        fail: (error) => {
          finish()
          reject(error)
        },
      }
      this.waiter = waiter
      cancel = this.clock.setTimer(() => {
        if (this.waiter !== waiter) return
        // After a quiet timeout, a partial line is a reply cut short: it must not prefix the next one.
        if (this.partial !== '') this.noise({ kind: 'partial-dropped', text: this.partial })
        this.partial = ''
        waiter.fail(new LoraError('NO_ANSWER', `no answer within ${timeout_ms} ms`))
      }, timeout_ms)
      this.drainInbox()
    })
  }

  private drainInbox(): void {
    const inbox = this.inbox
    while (inbox !== undefined && inbox.length > 0 && this.waiter !== undefined) {
      if (this.waiter.read(inbox.shift()!)) return
    }
  }

  private receive(chunk: Buffer): void {
    const text = chunk.toString('latin1')
    let start = 0
    for (;;) {
      const end = text.indexOf('\n', start)
      const piece = text.slice(start, end === -1 ? text.length : end)
      if (this.discarding) {
        if (end !== -1) this.discarding = false
      } else if (this.partial.length + piece.length > this.lineMax_chars) {
        this.noise({ kind: 'overlong', dropped_chars: this.partial.length + piece.length })
        this.partial = ''
        this.discarding = end === -1
      } else {
        this.partial += piece
        if (end !== -1) {
          const line = this.partial.replace(EDGE_NOISE, '')
          this.partial = ''
          if (line !== '') this.line(line)
        }
      }
      if (end === -1) return
      start = end + 1
    }
  }

  private line(line: string): void {
    const inbox = this.inbox
    if (inbox === undefined) {
      this.unsolicited(line)
      return
    }
    if (inbox.length >= INBOX_LINES_MAX) this.noise({ kind: 'inbox-overflow', line: inbox.shift()! })
    inbox.push(line)
    this.drainInbox()
  }

  private unsolicited(line: string): void {
    try {
      this.options.onUnsolicited(line)
    } catch {
      // A failing listener must not break the line reader.
    }
  }

  private noise(noise: LineNoise): void {
    try {
      this.options.onNoise?.(noise)
    } catch {
      // Same.
    }
  }
}
