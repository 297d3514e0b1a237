// Bounds the size of MQTT packets a connection may send. aedes' parser buffers a whole packet
// (up to the 256 MiB the protocol allows) before looking at it, so the broker reads each
// connection through this guard, which drops it as soon as a fixed header announces too much.

import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { MqttError } from './errors'

/** MQTT's variable byte integer has at most 4 bytes (MQTT 3.1.1 §2.2.3). */
const REMAINING_LENGTH_BYTES_MAX = 4

export type FrameScanVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'PACKET_TOO_LARGE'; readonly packetBytes: number }
  | { readonly ok: false; readonly code: 'MALFORMED_PACKET' }

/**
 * Follows packet boundaries across arbitrary chunks by reading only fixed headers: one type byte,
 * then the remaining length, then skipping that many bytes. Once it refuses, it stays refused.
 */
export class MqttFrameScanner {
  private state: 'type' | 'length' | 'body' = 'type'
  private remainingLength = 0
  private length_bytes = 0
  private bodyBytesLeft = 0
  private verdict: FrameScanVerdict = { ok: true }

  constructor(readonly packet_bytes_max: number) {
    // The smallest useful bound still admits a 2-byte PINGREQ.
    if (!Number.isSafeInteger(packet_bytes_max) || packet_bytes_max < 2) {
      throw new MqttError('INVALID_OPTIONS', `packetBytesMax must be an integer >= 2, got ${packet_bytes_max}`)
    }
  }

  feed(chunk: Uint8Array): FrameScanVerdict {
    let index = 0
    while (this.verdict.ok && index < chunk.length) {
      switch (this.state) {
        case 'type':
          index++
          this.state = 'length'
          this.remainingLength = 0
          this.length_bytes = 0
          break
        case 'length': {
          const byte = chunk[index++]!
          this.remainingLength += (byte & 0x7f) * 128 ** this.length_bytes
          this.length_bytes++
          if ((byte & 0x80) !== 0) {
            if (this.length_bytes === REMAINING_LENGTH_BYTES_MAX) this.verdict = { ok: false, code: 'MALFORMED_PACKET' }
            break
          }
          const packet_bytes = 1 + this.length_bytes + this.remainingLength
          if (packet_bytes > this.packet_bytes_max) {
            this.verdict = { ok: false, code: 'PACKET_TOO_LARGE', packetBytes: packet_bytes }
            break
          }
          this.bodyBytesLeft = this.remainingLength
          this.state = this.bodyBytesLeft === 0 ? 'type' : 'body'
          break
        }
        case 'body': {
          const skipped = Math.min(this.bodyBytesLeft, chunk.length - index)
          index += skipped
          this.bodyBytesLeft -= skipped
          if (this.bodyBytesLeft === 0) this.state = 'type'
          break
        }
      }
    }
    return this.verdict
  }
}

/**
 * The socket as a Duplex that passes bytes both ways unchanged, except that it destroys itself
 * (and the socket) with MqttError 'PACKET_TOO_LARGE' or 'MALFORMED_PACKET' when the client
 * announces a packet beyond packetBytesMax. Reading follows the consumer's pace (back-pressure).
 */
export class PacketSizeGuard extends Duplex {
  private readonly scanner: MqttFrameScanner

  constructor(
    private readonly socket: Socket,
    packet_bytes_max: number,
  ) {
    super({ allowHalfOpen: false })
    this.scanner = new MqttFrameScanner(packet_bytes_max)
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk))
    socket.on('end', () => this.push(null))
    socket.on('error', (error) => this.destroy(error))
    socket.on('close', () => this.destroy())
  }

  override _read(): void {
    this.socket.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy()
    callback(error)
  }

  private onSocketData(chunk: Buffer): void {
    if (this.destroyed) return
    const verdict = this.scanner.feed(chunk)
    if (!verdict.ok) {
      const message =
        verdict.code === 'PACKET_TOO_LARGE'
          ? `a ${verdict.packetBytes}-byte packet exceeds the ${this.scanner.packet_bytes_max}-byte limit`
          : 'the remaining length is longer than 4 bytes'
      this.destroy(new MqttError(verdict.code, message))
      return
    }
    if (!this.push(chunk)) this.socket.pause()
  }
}
