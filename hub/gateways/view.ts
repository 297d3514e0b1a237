// What the MQTT side, the record ingest, refunds and the LoRa path need of a gateway: who it is,
// whether it is provisioned, the key it signs with and whose accounts its payments pay.

export interface GatewayView {
  readonly id: string
  readonly eui: string
  readonly type: string
  readonly status: string
  readonly publicKey: Uint8Array | null
  /** The number of the record chain its key signs (per EUI: one more for each new key). */
  readonly chain: number
  readonly ownerUserId: string | null
  readonly merchantAccountId: string | null
}

/** The key a gateway signs with, once it is provisioned; undefined for any other gateway (or none). */
export function signingKeyOf(gateway: GatewayView | undefined): Uint8Array | undefined {
  return gateway?.status === 'provisioned' && gateway.publicKey !== null ? gateway.publicKey : undefined
}
