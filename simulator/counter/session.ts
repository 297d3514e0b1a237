// `payall-terminal run --simulate`: the full driver stack against emulated devices, with a built-in
// virtual phone. The phone gets its voucher from the gateway's own hub, as a customer would, with
// the operator's login from PAYALL_OPERATOR_EMAIL / PAYALL_OPERATOR_PASSWORD. At the console,
// digits, Backspace, c (clear), Enter and q/Esc (cancel) are the keypad; t taps the phone on the
// reader; x cuts the network and restores it (the link to the broker goes through a relay), so
// payments are taken offline and synced once it is back; what the printer prints is shown as it
// comes out.

import { formatAmount } from '../../protocol/money'
import type { Printer } from '../../hardware/devices'
import type { RunDecorations } from '../../terminal/run'
import { afterPrint } from '../../terminal/run'
import type { RandomBytes } from '../../protocol/clock'
import { TerminalError } from '../../terminal/errors'
import type { TerminalStore } from '../../terminal/store/store'
import mqtt, { type IClientOptions } from 'mqtt'
import type { SyncOptions } from '../../terminal/sync'
import { customerWithVoucher, HubApi } from '../hub-api'
import { LinkProxy } from '../link-proxy'
import type { HardwareConfig } from '../../terminal/hardware-config'
import type { SimulatedLoraNetwork } from './lora-network'
import type { VirtualPhone } from '../phone'
import { SimulatedCounterHost, SIMULATED_HARDWARE } from './host'

const TAP_KEYS = new Set([0x74, 0x54]) // t, T
const NETWORK_KEYS = new Set([0x78, 0x58]) // x, X
/** Reconnect soon after the network is restored: a developer is waiting at the console. */
const RECONNECT_INITIAL_MS = 200
const RECONNECT_MAX_MS = 2_000

export interface SimulatedCounter {
  readonly host: SimulatedCounterHost
  readonly hardware: HardwareConfig
  readonly phone: VirtualPhone | undefined
  readonly decorations: RunDecorations
  /** The link to the broker through the relay `x` cuts and restores (plain MQTT brokers only). */
  readonly syncOptions: Partial<SyncOptions>
}

export interface SimulatedCounterIo {
  readonly input: SimulatedCounterHost['input']
  readonly output: NodeJS.WritableStream
  readonly env: Record<string, string | undefined>
  readonly random: RandomBytes
  /** Cash-in and voucher for the built-in phone, in minor units of the gateway's currency. */
  readonly phoneAllowanceMinor?: number
  /** A simulated LoRaWAN network: the counter gets a RAK3172 emulator joined to it. */
  readonly lora?: SimulatedLoraNetwork
}

/** A customer with a phone and a voucher, from the hub the gateway was provisioned with. */
async function builtInPhone(store: TerminalStore, io: SimulatedCounterIo): Promise<VirtualPhone | string> {
  const email = io.env.PAYALL_OPERATOR_EMAIL
  const password = io.env.PAYALL_OPERATOR_PASSWORD
  if (email === undefined || password === undefined) {
    return 'no built-in phone: set PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD so the simulator can enrol a customer at the hub'
  }
  const pin = store.requireHubPin()
  const currency = store.riskConfig()?.currency
  if (currency === undefined) return 'no built-in phone: the gateway holds no RiskConfig yet'
  const operator = await new HubApi(pin.url).as(email, password)
  const amount = formatAmount(io.phoneAllowanceMinor ?? 100_000, currency)
  const customer = await customerWithVoucher(operator, `counter-${store.identity().eui.toLowerCase()}-${Buffer.from(io.random(4)).toString('hex')}@sim.payall.example`, currency, amount, amount)
  return customer.phone
}

export async function simulatedCounter(store: TerminalStore, io: SimulatedCounterIo): Promise<SimulatedCounter> {
  const brokerUrl = store.mqttSettings()?.url
  if (brokerUrl === undefined) throw new TerminalError('NOT_PROVISIONED', 'no MQTT settings: provision the gateway first')
  // A TCP relay would break TLS's host name check: a broker over mqtts:// is reached directly.
  const relay = new URL(brokerUrl).protocol === 'mqtt:' ? LinkProxy.forUrl(brokerUrl) : undefined
  await relay?.up()
  const host = new SimulatedCounterHost({
    random: io.random, input: io.input, output: io.output, ...(io.lora !== undefined && { loraRadio: io.lora.server }),
  })
  const hardware: HardwareConfig = io.lora === undefined ? SIMULATED_HARDWARE : { ...SIMULATED_HARDWARE, lora: io.lora.register(store.identity().eui) }
  const phone = await builtInPhone(store, io).catch(async (error: unknown) => {
    await relay?.down()
    throw error
  })
  const say = (text: string) => io.output.write(`${text}\n`)
  if (typeof phone === 'string') say(phone)
  let switching: Promise<void> = Promise.resolve()
  const toggleNetwork = (): void => {
    switching = switching.then(async () => {
      if (relay === undefined) {
        say(`(the network cannot be cut here: the broker is reached over ${new URL(brokerUrl).protocol})`)
      } else if (relay.isUp) {
        await relay.down()
        say('(network cut: payments are taken offline, within the hub\'s limits)')
      } else {
        await relay.up()
        say('(network restored: the terminal reconnects and syncs)')
      }
    })
  }
  const onInput = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    for (const byte of bytes) {
      if (NETWORK_KEYS.has(byte)) toggleNetwork()
      if (!TAP_KEYS.has(byte)) continue
      if (typeof phone === 'string') say('(no phone to tap)')
      else say(host.tap(phone) ? '(phone held to the reader)' : '(no reader)')
    }
  }
  const echoReceipts = (): void => {
    for (const receipt of host.newReceipts()) {
      say(['--- printed ---', ...receipt.lines, ...receipt.qrCodes.map(data => `[QR] ${data}`), '---------------'].join('\n'))
    }
  }
  const decorations: RunDecorations = {
    printer: (inner: Printer) => afterPrint(inner, echoReceipts),
    started: () => {
      io.input.on('data', onInput)
      say('simulated counter: type an amount and Enter, then t to tap the phone; Enter on an empty amount opens the menu; '
        + 'q cancels; x cuts or restores the network; Ctrl-C stops')
    },
    stop: async () => {
      io.input.removeListener('data', onInput)
      await switching
      await relay?.down()
      SimulatedCounterHost.reset()
    },
  }
  return {
    host, hardware, phone: typeof phone === 'string' ? undefined : phone, decorations,
    syncOptions: {
      reconnectInitialMs: RECONNECT_INITIAL_MS, reconnectMaxMs: RECONNECT_MAX_MS,
      ...(relay !== undefined && { connect: (_url: string, options: IClientOptions) => mqtt.connect(relay.url, options) }),
    },
  }
}
