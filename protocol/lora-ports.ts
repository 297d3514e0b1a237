// The LoRaWAN application ports (FPort) PayAll's frames travel on unless a deployment sets others:
// the hub's network-server integration and every gateway must use the same two.

/** Gateway → hub: CommitmentFrames. */
export const LORA_UPLINK_PORT_DEFAULT = 10
/** Hub → gateway: LoraRevocation fragments. */
export const LORA_DOWNLINK_PORT_DEFAULT = 11
