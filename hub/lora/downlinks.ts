// Revocations to gateways that have no IP but LoRa: when the hub issues a revocation list, the
// vouchers it added go, signed by the hub key the gateways pin, as LoraRevocation messages cut
// into downlink-sized fragments, queued at the network server for every gateway that has
// reported over LoRa (class A: each is delivered after one of the gateway's uplinks).

import { compareBytes, toHex } from '../../protocol/bytes'
import { LORA_PAYLOAD_BYTES_MAX } from '../../protocol/messages/commitment-frame'
import {
  fragmentMessage, loraRevocationBodies, loraRevocationCodec,
} from '../../protocol/messages/lora-revocation'
import type { RevocationList } from '../../protocol/messages/revocation-list'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { Downlink, NetworkServerFormat } from './format'
import type { LoraStore, StoredDevice } from './store'

/** Devices read per page when addressing every gateway. */
const DEVICES_PAGE = 500

export interface RevocationDownlinkDependencies {
  store: LoraStore
  format: NetworkServerFormat
  downlinkPort: number
  hubKeys: KeyPair
  ed25519: Ed25519
  /** EU868 DR0 by default: every gateway's modem can take it. */
  downlinkBytes_max?: number
  publish(downlink: Downlink): Promise<void>
}

/** The ids in `list` that `previous` did not have, in canonical order. */
export function newlyRevoked(list: RevocationList, previous: RevocationList | undefined): Uint8Array[] {
  const before = new Set((previous?.voucherIds ?? []).map(id => toHex(id)))
  return list.voucherIds.filter(id => !before.has(toHex(id))).sort(compareBytes)
}

/** The downlink payloads of one revocation list: each signed part, in fragments. */
export function revocationFragments(
  list: RevocationList, previous: RevocationList | undefined, hubKeys: KeyPair, ed25519: Ed25519,
  downlinkBytes_max = LORA_PAYLOAD_BYTES_MAX,
): Uint8Array[] {
  const ids = newlyRevoked(list, previous)
  if (ids.length === 0) return []
  return loraRevocationBodies(list.serial, ids).flatMap(body => {
    const message = loraRevocationCodec.encode(loraRevocationCodec.sign(body, hubKeys.secretKey, ed25519))
    // Distinct for the 16 parts of 4096 consecutive serials: enough for fragments in flight.
    const messageId = ((list.serial & 0xfff) << 4) | body.part
    return fragmentMessage(message, messageId, downlinkBytes_max)
  })
}

/**
 * Queues a list's fragments for the gateways that reported over LoRa — every one, or only
 * `onlyEui` — and returns how many downlinks went. With no `previous`, the whole list goes. Each
 * gateway whose fragments the broker all took is marked as having list `list.serial` queued.
 */
export async function sendRevocationDownlinks(
  deps: RevocationDownlinkDependencies, list: RevocationList, previous: RevocationList | undefined, onlyEui?: string,
): Promise<number> {
  const fragments = revocationFragments(list, previous, deps.hubKeys, deps.ed25519, deps.downlinkBytes_max)
  let sent = 0
  const sendTo = async (devices: readonly StoredDevice[]): Promise<void> => {
    for (const device of devices) {
      for (const fragment of fragments) {
        await deps.publish(deps.format.downlink(device, deps.downlinkPort, fragment, false))
        sent++
      }
      deps.store.markRevocationsQueued(device.eui, list.serial)
    }
  }
  if (onlyEui !== undefined) {
    const device = deps.store.device(onlyEui)
    if (device !== undefined) await sendTo([device])
    return sent
  }
  let after = ''
  for (;;) {
    const devices = deps.store.devicesAfter(after, DEVICES_PAGE)
    await sendTo(devices)
    if (devices.length < DEVICES_PAGE) return sent
    after = devices[devices.length - 1]!.eui
  }
}
