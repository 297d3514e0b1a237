// A gateway's LoRa reports on the wire, as types apart from the code that builds them: nothing here reaches
// Node, so the web dashboard imports them.

export interface LoraReportReply {
  receivedAt: string
  fCnt: number
  gatewaySeq: number
  unsyncedCount: number
  unsyncedAmountMinor: number
  unsyncedAmount: string
  currency: string
  headPrefix: string
  frameTime: string
  rssi: number | null
  snr: number | null
  check: 'pending' | 'consistent' | 'mismatch'
  mismatch: string | null
  mismatchDetail: string | null
  checkedAt: string | null
}

export interface LoraReply {
  gatewayId: string
  eui: string
  lastReport: LoraReportReply | null
  mismatchCount: number
  reports: LoraReportReply[]
}
