// A Bluetooth adapter for noble without hardware: bindings as noble's own tests build them (an
// EventEmitter with init, startScanning, connect, discoverServices, write, notify, …), fed to
// `new Noble(bindings)` from `@abandonware/noble/lib/noble`, so the driver runs on noble's real
// Peripheral and Characteristic code. It hosts virtual phones that advertise the PayAll service
// and answer payment requests, and it injects faults: an adapter that never powers on, a phone
// that walks away mid-exchange, a phone that notifies garbage or never answers.

import { EventEmitter } from 'node:events'
import type { NobleCentral } from '../../hardware/ble/ble-phone-link'
import {
  ATT_MTU_DEFAULT, FrameAssembler, frameChunks, PAYALL_REQUEST_CHARACTERISTIC_UUID, PAYALL_RESPONSE_CHARACTERISTIC_UUID, PAYALL_SERVICE_UUID,
  REQUEST_MAX_BYTES, RESPONSE_MAX_BYTES,
} from '../../hardware/ble/payall-service'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import type { VirtualPhone } from '../phone'

// noble's lib/noble has no type declarations; it is the constructor the package entry calls with its bindings.
const Noble = require('@abandonware/noble/lib/noble') as new (bindings: EventEmitter) => NobleCentral

/** What a hosted phone does wrong, if anything. */
export interface BlePhoneFaults {
  /** Drops the link after this many request chunks have arrived. */
  readonly disconnectAfterChunks?: number
  /** Notifies these bytes instead of its answer. */
  readonly notifyInstead?: readonly Uint8Array[]
  /** Takes the request and never answers. */
  readonly silent?: boolean
  /** Never completes a connection (out of range by the time the terminal connects, a busy phone). */
  readonly neverConnects?: boolean
}

export interface HostedBlePhone {
  readonly id: string
  readonly phone: VirtualPhone
  faults: BlePhoneFaults
  /** Whether it advertises (is in range); a phone out of range is never discovered. */
  advertising: boolean
  /** How many times the terminal connected and how many times the link was dropped. */
  readonly connections: number
  readonly disconnections: number
  readonly connected: boolean
}

class BlePhone implements HostedBlePhone {
  faults: BlePhoneFaults
  advertising = true
  connections = 0
  disconnections = 0
  connected = false
  subscribed = false
  chunksReceived = 0
  assembler = new FrameAssembler(REQUEST_MAX_BYTES)

  constructor(readonly id: string, readonly phone: VirtualPhone, faults: BlePhoneFaults) {
    this.faults = faults
  }
}

const HCI_REMOTE_USER_TERMINATED = 0x13

export class FakeBleAdapter extends EventEmitter {
  /** What the adapter reports at init: anything but poweredOn is a fault (switched off, rfkill, no controller). */
  adapterState: 'poweredOn' | 'poweredOff' | 'unsupported' | 'unauthorized' = 'poweredOn'
  /** The ATT MTU each link negotiates. */
  mtu = ATT_MTU_DEFAULT
  /** Connections the central cancelled before they completed, by phone id. */
  readonly cancelledConnects: string[] = []
  private readonly phones = new Map<string, BlePhone>()
  private scanning = false

  /** A noble instance on this adapter. */
  noble(): NobleCentral {
    return new Noble(this)
  }

  addPhone(phone: VirtualPhone, faults: BlePhoneFaults = {}): HostedBlePhone {
    const id = `phone${this.phones.size + 1}`
    const hosted = new BlePhone(id, phone, faults)
    this.phones.set(id, hosted)
    if (this.scanning) this.later(() => this.advertise(hosted))
    return hosted
  }

  // The bindings interface noble calls.

  init(): void {
    this.later(() => this.emit('stateChange', this.adapterState))
  }

  setScanParameters(): void {
    this.later(() => this.emit('scanParametersSet'))
  }

  startScanning(serviceUuids: string[] | undefined): void {
    this.scanning = true
    this.later(() => {
      this.emit('scanStart', true)
      for (const phone of this.phones.values()) {
        if (serviceUuids === undefined || serviceUuids.length === 0 || serviceUuids.includes(PAYALL_SERVICE_UUID)) this.advertise(phone)
      }
    })
  }

  stopScanning(): void {
    this.scanning = false
    this.later(() => this.emit('scanStop'))
  }

  connect(id: string): void {
    const phone = this.phones.get(id)
    this.later(() => {
      if (phone === undefined || !phone.advertising) {
        this.emit('connect', id, new Error('connection failed: peer not in range'))
        return
      }
      if (phone.faults.neverConnects === true) return
      phone.connections++
      phone.connected = true
      phone.assembler = new FrameAssembler(REQUEST_MAX_BYTES)
      phone.chunksReceived = 0
      this.emit('onMtu', id, this.mtu)
      this.emit('connect', id, null)
    })
  }

  cancelConnect(id: string): void {
    this.cancelledConnects.push(id)
  }

  disconnect(id: string): void {
    const phone = this.phones.get(id)
    this.later(() => {
      if (phone !== undefined) this.drop(phone)
      else this.emit('disconnect', id, HCI_REMOTE_USER_TERMINATED)
    })
  }

  updateRssi(id: string): void {
    this.later(() => this.emit('rssiUpdate', id, -50))
  }

  discoverServices(id: string): void {
    this.later(() => this.emit('servicesDiscover', id, [PAYALL_SERVICE_UUID]))
  }

  discoverIncludedServices(id: string, serviceUuid: string): void {
    this.later(() => this.emit('includedServicesDiscover', id, serviceUuid, []))
  }

  discoverCharacteristics(id: string, serviceUuid: string): void {
    this.later(() => this.emit('characteristicsDiscover', id, serviceUuid, [
      { uuid: PAYALL_REQUEST_CHARACTERISTIC_UUID, properties: ['write'] },
      { uuid: PAYALL_RESPONSE_CHARACTERISTIC_UUID, properties: ['notify'] },
    ]))
  }

  notify(id: string, serviceUuid: string, characteristicUuid: string, on: boolean): void {
    const phone = this.phones.get(id)
    this.later(() => {
      if (phone?.connected !== true) return
      if (characteristicUuid === PAYALL_RESPONSE_CHARACTERISTIC_UUID) phone.subscribed = on
      this.emit('notify', id, serviceUuid, characteristicUuid, on)
    })
  }

  write(id: string, serviceUuid: string, characteristicUuid: string, data: Buffer): void {
    const phone = this.phones.get(id)
    this.later(() => {
      if (phone?.connected !== true || characteristicUuid !== PAYALL_REQUEST_CHARACTERISTIC_UUID) return
      phone.chunksReceived++
      if (phone.faults.disconnectAfterChunks !== undefined && phone.chunksReceived >= phone.faults.disconnectAfterChunks) {
        this.drop(phone)
        return
      }
      this.emit('write', id, serviceUuid, characteristicUuid)
      let request: Uint8Array | undefined
      try {
        request = phone.assembler.push(new Uint8Array(data))
      } catch {
        // A phone that cannot read the request drops the link, as the PayAll app does.
        this.drop(phone)
        return
      }
      if (request !== undefined) this.answer(phone, request)
    })
  }

  read(): void {}
  broadcast(): void {}
  reset(): void {}

  private answer(phone: BlePhone, request: Uint8Array): void {
    if (phone.faults.silent === true) return
    let chunks: readonly Uint8Array[]
    if (phone.faults.notifyInstead !== undefined) {
      chunks = phone.faults.notifyInstead
    } else {
      try {
        const response = paymentResponseCodec.encode(phone.phone.authorize(paymentRequestCodec.decode(request)))
        chunks = frameChunks(response, this.mtu, RESPONSE_MAX_BYTES)
      } catch {
        // An unreadable request or a declined payment: the phone answers nothing and hangs up.
        this.drop(phone)
        return
      }
    }
    this.later(() => {
      for (const chunk of chunks) {
        if (!phone.connected || !phone.subscribed) return
        this.emit('read', phone.id, PAYALL_SERVICE_UUID, PAYALL_RESPONSE_CHARACTERISTIC_UUID, Buffer.from(chunk), true)
      }
    })
  }

  private advertise(phone: BlePhone): void {
    if (!this.scanning || !phone.advertising) return
    this.emit('discover', phone.id, `02:00:00:00:00:${phone.id.slice(5).padStart(2, '0')}`, 'random', true, {
      localName: 'PayAll', serviceUuids: [PAYALL_SERVICE_UUID], serviceData: [], manufacturerData: undefined, txPowerLevel: undefined,
      solicitationServiceUuids: [], serviceSolicitationUuids: [],
    }, -50, true)
  }

  private drop(phone: BlePhone): void {
    if (!phone.connected) return
    phone.connected = false
    phone.subscribed = false
    phone.disconnections++
    this.emit('disconnect', phone.id, HCI_REMOTE_USER_TERMINATED)
  }

  /** Adapters answer asynchronously; so does this one. */
  private later(action: () => void): void {
    // The next turn of the event loop, not a time: a manual clock must not hold the adapter's answers back.
    setImmediate(action)
  }
}
