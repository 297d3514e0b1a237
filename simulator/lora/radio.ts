// The air between an emulated modem and the simulated network server: an OTAA join and a class-A
// uplink whose answer carries the ack and at most one downlink, as the RX windows do.

import type { LoraRegion } from '../../hardware/lora/modem'

export interface JoinRequest {
  readonly region: LoraRegion
  /** 16 hex digits, any case. */
  readonly devEui: string
  readonly appEui: string
  /** 32 hex digits: the key the device holds; the join succeeds only when it is the registered one. */
  readonly appKey: string
}

export type JoinAnswer = { readonly accepted: true; readonly devAddr: string } | { readonly accepted: false }

export interface Uplink {
  readonly devEui: string
  readonly port: number
  readonly payload: Uint8Array
  readonly confirmed: boolean
  readonly dataRate: number
}

export interface RadioDownlink {
  readonly port: number
  readonly payload: Uint8Array
  readonly confirmed: boolean
  /** What the device measured on the downlink. */
  readonly rssi: number
  readonly snr: number
}

export interface UplinkAnswer {
  /** False when the network did not hear the frame (unknown device, no session). */
  readonly heard: boolean
  /** A confirmed uplink's ACK reached the device. */
  readonly acked: boolean
  readonly downlink?: RadioDownlink
}

export interface LoraRadio {
  join(request: JoinRequest): JoinAnswer
  uplink(frame: Uplink): UplinkAnswer
}

/** LoRa modulation of each data rate, for the network server's tx metadata. */
export function loraModulation(region: LoraRegion, dataRate: number): { spreadingFactor: number; bandwidth: number } {
  if (region === 'EU868') {
    if (dataRate >= 0 && dataRate <= 5) return { spreadingFactor: 12 - dataRate, bandwidth: 125_000 }
    if (dataRate === 6) return { spreadingFactor: 7, bandwidth: 250_000 }
  } else {
    if (dataRate >= 0 && dataRate <= 3) return { spreadingFactor: 10 - dataRate, bandwidth: 125_000 }
    if (dataRate === 4) return { spreadingFactor: 8, bandwidth: 500_000 }
  }
  // EU868 DR7 is FSK, the rest is not LoRa: report the slowest LoRa rate rather than invent one.
  return { spreadingFactor: 12, bandwidth: 125_000 }
}

/** The uplink channel a frame goes out on, rotating as devices do: EU868's 3 default channels, US915 sub-band 2. */
export function uplinkChannel(region: LoraRegion, frameCounter: number): { index: number; frequency_hz: number } {
  if (region === 'EU868') {
    const index = frameCounter % 3
    return { index, frequency_hz: 868_100_000 + index * 200_000 }
  }
  const index = 8 + (frameCounter % 8)
  return { index, frequency_hz: 902_300_000 + index * 200_000 }
}
