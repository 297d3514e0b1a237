// The phone link over Bluetooth LE, with noble as the central: wait for the adapter, scan for the
// first phone advertising the PayAll service, connect, write the request, reassemble the notified
// answer, and disconnect whatever happened. The noble instance is injected; `loadSystemNoble`
// loads the real one (and its HCI bindings) only when a terminal is configured for BLE.

import type { EventEmitter } from 'node:events'
import type { Clock } from '../../protocol/clock'
import { SerialQueue } from '../../protocol/serial-queue'
import type { PhoneLink } from '../devices'
import {
  ATT_MTU_DEFAULT, BleError, FrameAssembler, frameChunks, PAYALL_REQUEST_CHARACTERISTIC_UUID, PAYALL_RESPONSE_CHARACTERISTIC_UUID,
  PAYALL_SERVICE_UUID, REQUEST_MAX_BYTES, RESPONSE_MAX_BYTES,
} from './payall-service'

export { BleError,  } from './payall-service'

/** What the driver uses of a noble characteristic. */
interface NobleCharacteristic extends EventEmitter {
  readonly uuid: string
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>
  subscribeAsync(): Promise<void>
}

/** What the driver uses of a noble peripheral. */
export interface NoblePeripheral extends EventEmitter {
  readonly id: string
  readonly state: string
  readonly mtu: number | null | undefined
  readonly advertisement: { readonly serviceUuids?: readonly string[]; readonly localName?: string }
  connectAsync(): Promise<void>
  cancelConnect(): void
  disconnectAsync(): Promise<void>
  discoverSomeServicesAndCharacteristicsAsync(
    serviceUuids: string[], characteristicUuids: string[],
  ): Promise<{ characteristics: NobleCharacteristic[] }>
}

/** What the driver uses of noble itself (`require('@abandonware/noble')` or `new Noble(bindings)`). */
export interface NobleCentral extends EventEmitter {
  readonly state: string
  startScanningAsync(serviceUuids: string[], allowDuplicates: boolean): Promise<void>
  stopScanningAsync(): Promise<void>
}

/** Loads the system's noble; its HCI bindings throw on a machine without Bluetooth, so only on demand. */
export function loadSystemNoble(): NobleCentral {
  return require('@abandonware/noble') as NobleCentral
}

export interface BlePhoneLinkOptions {
  readonly poweredOnTimeout_ms?: number
  /** How long the terminal waits for a phone to come in range. */
  readonly scanTimeout_ms?: number
  readonly connectTimeout_ms?: number
  /** Discovery, subscription, the writes and the phone's answer together. */
  readonly exchangeTimeout_ms?: number
  readonly disconnectTimeout_ms?: number
}

/** Exchanges queued, the running one included; the next is refused QUEUE_FULL (a counter takes one payment at a time). */
const BLE_EXCHANGES_MAX = 4

export class BlePhoneLink implements PhoneLink {
  private readonly timeouts_ms: Required<BlePhoneLinkOptions>
  private readonly exchanges = new SerialQueue(BLE_EXCHANGES_MAX, 'the BLE link')

  /** Takes noble and the clock its timeouts run on. */
  constructor(private readonly noble: NobleCentral, private readonly clock: Clock, options: BlePhoneLinkOptions = {}) {
    this.timeouts_ms = {
      poweredOnTimeout_ms: options.poweredOnTimeout_ms ?? 5_000,
      scanTimeout_ms: options.scanTimeout_ms ?? 30_000,
      connectTimeout_ms: options.connectTimeout_ms ?? 5_000,
      exchangeTimeout_ms: options.exchangeTimeout_ms ?? 10_000,
      disconnectTimeout_ms: options.disconnectTimeout_ms ?? 2_000,
    }
  }

  /**
   * Sends the request to the next phone in range and resolves with its answer; one exchange at a
   * time, QUEUE_FULL (QueueFullError) past BLE_EXCHANGES_MAX queued.
   */
  exchange(request: Uint8Array): Promise<Uint8Array> {
    if (request.length > REQUEST_MAX_BYTES) {
      return Promise.reject(new BleError('TOO_LARGE', `a ${request.length}-byte request exceeds ${REQUEST_MAX_BYTES}`))
    }
    return this.exchanges.run(() => this.exchangeOnce(request))
  }

  /** Resolves once the adapter is powered on; NOT_POWERED when it is not in time. */
  async waitForPoweredOn(): Promise<void> {
    let listener: ((state: string) => void) | undefined
    const powered = new Promise<void>((resolve, reject) => {
      listener = state => {
        if (state === 'poweredOn') resolve()
        // No waiting changes these: there is no adapter, or the process may not use it.
        else if (state === 'unsupported' || state === 'unauthorized') reject(new BleError('NOT_POWERED', `the Bluetooth adapter is ${state}`))
      }
      this.noble.on('stateChange', listener)
      // Reading `state` initializes noble's bindings, which then report their state.
      listener(this.noble.state)
    })
    try {
      await this.within(powered, this.timeouts_ms.poweredOnTimeout_ms, () => new BleError('NOT_POWERED', `the Bluetooth adapter is ${this.noble.state}, not poweredOn`))
    } finally {
      this.noble.removeListener('stateChange', listener!)
    }
  }

  private async exchangeOnce(request: Uint8Array): Promise<Uint8Array> {
    try {
      await this.waitForPoweredOn()
      const peripheral = await this.findPhone()
      let onDisconnect: (() => void) | undefined
      const disconnected = new Promise<never>((_, reject) => {
        onDisconnect = () => reject(new BleError('DISCONNECTED', 'the phone went away mid-exchange'))
        peripheral.once('disconnect', onDisconnect)
      })
      disconnected.catch(() => undefined)
      try {
        await this.within(
          Promise.race([peripheral.connectAsync(), disconnected]), this.timeouts_ms.connectTimeout_ms,
          () => new BleError('TIMEOUT', 'the phone did not accept the connection in time'),
        )
        return await this.within(
          Promise.race([this.talk(peripheral, request), disconnected]), this.timeouts_ms.exchangeTimeout_ms,
          () => new BleError('TIMEOUT', 'the phone did not answer in time'),
        )
      } finally {
        peripheral.removeListener('disconnect', onDisconnect!)
        await this.disconnect(peripheral)
      }
    } catch (error) {
      if (error instanceof BleError) throw error
      // noble reports adapter and link failures as plain Errors.
      throw new BleError('LINK_ERROR', error instanceof Error ? error.message : String(error), { cause: error })
    }
  }

  private async findPhone(): Promise<NoblePeripheral> {
    let listener: ((peripheral: NoblePeripheral) => void) | undefined
    const found = new Promise<NoblePeripheral>(resolve => {
      listener = peripheral => {
        // Scanning filters by service already; an adapter may still report others (allowDuplicates, caches).
        if (peripheral.advertisement.serviceUuids?.includes(PAYALL_SERVICE_UUID)) resolve(peripheral)
      }
      this.noble.on('discover', listener)
    })
    try {
      await this.noble.startScanningAsync([PAYALL_SERVICE_UUID], false)
      return await this.within(found, this.timeouts_ms.scanTimeout_ms, () => new BleError('NO_PHONE', 'no phone with PayAll came in range'))
    } finally {
      this.noble.removeListener('discover', listener!)
      await this.noble.stopScanningAsync().catch(() => undefined)
    }
  }

  private async talk(peripheral: NoblePeripheral, request: Uint8Array): Promise<Uint8Array> {
    const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync(
      [PAYALL_SERVICE_UUID], [PAYALL_REQUEST_CHARACTERISTIC_UUID, PAYALL_RESPONSE_CHARACTERISTIC_UUID],
    )
    const requestCharacteristic = characteristics.find(c => c.uuid === PAYALL_REQUEST_CHARACTERISTIC_UUID)
    const responseCharacteristic = characteristics.find(c => c.uuid === PAYALL_RESPONSE_CHARACTERISTIC_UUID)
    if (requestCharacteristic === undefined || responseCharacteristic === undefined) {
      throw new BleError('NO_SERVICE', 'the phone lacks the PayAll request or response characteristic')
    }
    const assembler = new FrameAssembler(RESPONSE_MAX_BYTES)
    let onData: ((data: Buffer) => void) | undefined
    const response = new Promise<Uint8Array>((resolve, reject) => {
      onData = data => {
        try {
          const message = assembler.push(new Uint8Array(data))
          if (message !== undefined) resolve(message)
        } catch (error) {
          reject(error)
        }
      }
      responseCharacteristic.on('data', onData)
    })
    response.catch(() => undefined)
    try {
      await responseCharacteristic.subscribeAsync()
      // Writes with response: the phone acknowledges each chunk, so none is lost to a full buffer.
      for (const chunk of frameChunks(request, peripheral.mtu ?? ATT_MTU_DEFAULT, REQUEST_MAX_BYTES)) {
        await requestCharacteristic.writeAsync(Buffer.from(chunk), false)
      }
      return await response
    } finally {
      responseCharacteristic.removeListener('data', onData!)
    }
  }

  /** Always leaves the phone disconnected; a phone already gone is not an error here. */
  private async disconnect(peripheral: NoblePeripheral): Promise<void> {
    if (peripheral.state === 'disconnected') return
    // A pending LE connection holds the controller: no other phone could connect until it is cancelled.
    if (peripheral.state === 'connecting') {
      peripheral.cancelConnect()
      return
    }
    await this.within(peripheral.disconnectAsync(), this.timeouts_ms.disconnectTimeout_ms, () => new BleError('TIMEOUT', 'disconnect'))
      .catch(() => undefined)
  }

  private within<T>(promise: Promise<T>, timeout_ms: number, error: () => BleError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.clock.setTimer(() => reject(error()), timeout_ms)
      promise.then(
        value => {
          cancel()
          resolve(value)
        },
        (reason: unknown) => {
          cancel()
          reject(reason)
        },
      )
    })
  }
}
