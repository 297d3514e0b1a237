// A LoRaWAN network for a simulated counter: a loopback broker and a simulated ChirpStack v4
// network server publishing to it, as a real deployment has beside the hub. The counter's
// RAK3172 emulator is registered here with a fresh AppKey and joins over the simulated radio;
// the hub subscribes to the broker (PAYALL_LORA_MQTT_URL) to hear the gateway's reports.

import { toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import type { LoraRegion } from '../../hardware/lora/modem'
import type { LoraConfig } from '../../terminal/hardware-config'
import { startLoopbackBroker, type LoopbackBroker } from '../lora/loopback-broker'
import { SimulatedNetworkServer } from '../lora/network-server'
import { SIMULATED_PORTS } from './host'

const REGION: LoraRegion = 'EU868'
const APP_EUI = '0000000000000000'

export class SimulatedLoraNetwork {
  /** `applicationId`: ChirpStack's application id, the hub's --lora-application. */
  private constructor(
    private readonly broker: LoopbackBroker, readonly server: SimulatedNetworkServer, readonly applicationId: string,
    private readonly random: RandomBytes,
  ) {}

  /** The network server runs on `clock`; `random` makes its ids, sessions and the modems' keys. */
  static async start(clock: Clock, random: RandomBytes): Promise<SimulatedLoraNetwork> {
    const broker = await startLoopbackBroker()
    const applicationId = uuidV4(random)
    const server = new SimulatedNetworkServer({
      flavour: 'chirpstack-v4', region: REGION, tenantId: uuidV4(random), applicationId,
      clock, randomBytes: random,
      // A gateway a few kilometres away, heard well enough for DR0.
      uplinkSignal: { rssi: -105, snr: -4.5 },
    })
    try {
      await server.connect(broker.url, { clientId: 'payall-sim-lns' })
    } catch (error) {
      await broker.close()
      throw error
    }
    return new SimulatedLoraNetwork(broker, server, applicationId, random)
  }

  /** The broker the network server publishes uplinks to and takes downlinks from. */
  get brokerUrl(): string {
    return this.broker.url
  }

  /** Registers the gateway's modem (its DevEUI is the gateway's EUI) and says how the terminal reaches it. */
  register(eui: string): LoraConfig {
    const appKey = toHex(this.random(16)).toUpperCase()
    this.server.register({ devEui: eui, appKey })
    return { driver: 'rak3172', port: SIMULATED_PORTS.lora, baudRate: 115_200, region: REGION, appEui: APP_EUI, appKey }
  }

  async close(): Promise<void> {
    await this.server.close()
    await this.broker.close()
  }
}

/** A random (version 4) UUID from `random`, the form ChirpStack gives its tenant and application ids. */
function uuidV4(random: RandomBytes): string {
  const bytes = random(16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = toHex(bytes)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
