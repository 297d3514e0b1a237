// Revocations to gateways that have no IP but LoRa, as hub-signed LoraRevocation messages cut into
// downlink-sized fragments, queued at the network server (class A: each is delivered after one of
// the gateway's uplinks). What each delta adds goes to every gateway that has reported over LoRa at
// once; a gateway behind (new to LoRa, or that missed deltas) is walked through the whole list, a
// bounded number of downlinks at each of its reports, every listed voucher however many, and the
// hub records how far it got (store.ts), so a walk goes on across reports and hub restarts.

import { toHex } from '../../protocol/bytes'
import { LORA_PAYLOAD_BYTES_MAX } from '../../protocol/messages/commitment-frame'
import {
  LORA_REVOCATION_IDS_MAX, LoraRevocationKind, fragmentMessage, loraMessageId, loraRevocationBodies, loraRevocationCodec,
  type LoraRevocationBody,
} from '../../protocol/messages/lora-revocation'
import type { RevocationDelta } from '../../protocol/messages/revocation-delta'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { Downlink, NetworkServerFormat } from './format'
import type { LoraStore, StoredDevice } from './store'

/** Devices read per page when addressing every gateway. */
const DEVICES_PAGE = 500
const CHUNK_INDEX_MODULO = 0x10000

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

/** What a catch-up reads of the revocation list. */
export interface ListedVouchers {
  serial(): Promise<number>
  /** Listed voucher ids after `afterIdHex` in id order, at most `count_max`. */
  listedAfter(afterIdHex: string, count_max: number): Promise<Uint8Array[]>
}

/** The downlink payloads of one message: signed, in fragments. */
export function revocationFragments(
  body: LoraRevocationBody, hubKeys: KeyPair, ed25519: Ed25519, downlinkBytes_max = LORA_PAYLOAD_BYTES_MAX,
): Uint8Array[] {
  const message = loraRevocationCodec.encode(loraRevocationCodec.sign(body, hubKeys.secretKey, ed25519))
  return fragmentMessage(message, loraMessageId(body), downlinkBytes_max)
}

/**
 * Queues what `delta` added for every gateway that reported over LoRa, and records it for each
 * whose fragments the broker all took; returns how many downlinks went. A delta that added
 * nothing sends nothing, but still moves on the gateways it follows.
 */
export async function sendDeltaDownlinks(deps: RevocationDownlinkDependencies, delta: RevocationDelta): Promise<number> {
  const fragments = loraRevocationBodies(LoraRevocationKind.Added, delta.serial, delta.added)
    .flatMap(body => revocationFragments(body, deps.hubKeys, deps.ed25519, deps.downlinkBytes_max))
  let sent = 0
  let after = ''
  for (;;) {
    const devices = await deps.store.devicesAfter(after, DEVICES_PAGE)
    for (const device of devices) {
      sent += await publishAll(deps, device, fragments)
      await deps.store.markDeltaQueued(device.eui, delta.serial, delta.follows)
    }
    if (devices.length < DEVICES_PAGE) return sent
    after = devices[devices.length - 1]!.eui
  }
}

/**
 * The next step of a gateway's catch-up, at one of its reports: if it is behind the list's serial,
 * queues up to `downlinks_max` fragments of the whole list from where its walk got to (starting
 * one if none is under way): the rest of the chunk being sent, then new chunks of the ids after
 * the last one sent. The walk ends once no listed id is left after it. Returns how many downlinks
 * went. A class A modem takes one downlink after each of its uplinks: more than one per report
 * only grows the network server's queue (settings.ts, catchUpDownlinksPerReport).
 */
export async function sendCatchUpDownlinks(
  deps: RevocationDownlinkDependencies, list: ListedVouchers, eui: string, downlinks_max: number,
): Promise<number> {
  const serial = await list.serial()
  let device = await deps.store.device(eui)
  if (device === undefined) return 0
  if (device.catchUp === undefined) {
    if (device.revocationSerialQueued >= serial) return 0
    await deps.store.startCatchUp(eui, serial)
    device = (await deps.store.device(eui))!
  }
  let sent = 0
  // Bounded: each turn queues at least one fragment or ends the chunk or the walk.
  while (sent < downlinks_max) {
    const progress = (await deps.store.device(eui))!.catchUp!
    if (progress.message === undefined) {
      const ids = await list.listedAfter(progress.afterIdHex, LORA_REVOCATION_IDS_MAX)
      if (ids.length === 0) {
        await deps.store.finishCatchUp(eui)
        break
      }
      const body: LoraRevocationBody = {
        kind: LoraRevocationKind.Listed, serial, index: (await deps.store.device(eui))!.chunkNext % CHUNK_INDEX_MODULO, voucherIds: ids,
      }
      const message = loraRevocationCodec.encode(loraRevocationCodec.sign(body, deps.hubKeys.secretKey, deps.ed25519))
      await deps.store.setCatchUpChunk(eui, message, toHex(ids[ids.length - 1]!))
      continue
    }
    const body = loraRevocationCodec.decode(progress.message.bytes)
    const fragments = fragmentMessage(progress.message.bytes, loraMessageId(body), deps.downlinkBytes_max)
    const next = fragments.slice(progress.message.fragment, progress.message.fragment + downlinks_max - sent)
    sent += await publishAll(deps, device, next)
    const fragment = progress.message.fragment + next.length
    if (fragment < fragments.length) await deps.store.markCatchUpFragments(eui, fragment)
    else await deps.store.markCatchUpChunkSent(eui)
  }
  return sent
}

async function publishAll(deps: RevocationDownlinkDependencies, device: StoredDevice, fragments: readonly Uint8Array[]): Promise<number> {
  for (const fragment of fragments) await deps.publish(deps.format.downlink(device, deps.downlinkPort, fragment, false))
  return fragments.length
}
