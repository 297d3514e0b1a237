// The device end of a serialport MockBinding port, shared by the modem emulators: it reads the
// lines the host writes and sends bytes back, with the faults a real UART link shows.

import type { SerialPortMock } from 'serialport'

type MockPortBinding = NonNullable<SerialPortMock['port']>

export interface LinkFaults {
  /** Answers nothing at all: a modem unpowered or hung. */
  silent: boolean
  /** Sent just before the next reply line. */
  garbageBeforeNextReply: Uint8Array | undefined
  /** The next reply line stops halfway: its end and the rest of that reply never come. */
  cutNextReply: boolean
}

export function noLinkFaults(): LinkFaults {
  return { silent: false, garbageBeforeNextReply: undefined, cutNextReply: false }
}

const COMMAND_LINE_MAX_CHARS = 1024

export class SerialDeviceSide {
  private binding: MockPortBinding | undefined
  private partial = ''
  private cutting = false

  /** Attaches to `port` (open or opening) before the host writes anything. */
  constructor(port: SerialPortMock, private readonly onLine: (line: string) => void, private readonly faults: LinkFaults, private readonly lineEnding: string) {
    if (port.isOpen && port.port !== undefined) this.attach(port.port)
    else port.once('open', () => this.attach(port.port!))
  }

  /** Sends one reply: its lines, each with the device's line ending, faults applied. */
  reply(...lines: string[]): void {
    if (this.faults.silent) return
    for (const line of lines) {
      if (this.cutting) return
      const garbage = this.faults.garbageBeforeNextReply
      if (garbage !== undefined) {
        this.faults.garbageBeforeNextReply = undefined
        this.emit(Buffer.from(garbage))
      }
      if (this.faults.cutNextReply) {
        this.faults.cutNextReply = false
        this.cutting = true
        this.emit(Buffer.from(line.slice(0, Math.max(1, Math.floor(line.length / 2))), 'latin1'))
        return
      }
      this.emit(Buffer.from(line + this.lineEnding, 'latin1'))
    }
  }

  /** Raw bytes now, as line noise does. */
  emitRaw(bytes: Uint8Array): void {
    this.emit(Buffer.from(bytes))
  }

  /** Ends a reply: a cut stops only the reply it hit. */
  endReply(): void {
    this.cutting = false
  }

  private emit(bytes: Buffer): void {
    if (this.binding?.isOpen) this.binding.emitData(bytes)
  }

  private attach(binding: MockPortBinding): void {
    this.binding = binding
    const write = binding.write.bind(binding)
    binding.write = async (buffer: Buffer) => {
      await write(buffer)
      this.receive(buffer.toString('latin1'))
    }
  }

  private receive(text: string): void {
    for (const char of text) {
      if (char === '\r' || char === '\n') {
        const line = this.partial.trim()
        this.partial = ''
        if (line !== '') {
          this.onLine(line)
          this.endReply()
        }
      } else if (this.partial.length < COMMAND_LINE_MAX_CHARS) {
        this.partial += char
      }
    }
  }
}
