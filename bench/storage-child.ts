// The storage bench's process: payments through the real flow into a fresh gateway's store, with
// what this process wrote to storage read from /proc/self/io before and after, so nothing else
// (the parent, the hub, the test runner) is counted. Prints one JSON line.

import { readFileSync } from 'node:fs'
import { paymentRequestCodec } from '../protocol/messages/payment-request'
import { paymentResponseCodec } from '../protocol/messages/payment-response'
import { standaloneGateway, type StandaloneGateway } from './standalone-gateway'

/** The counters of /proc/self/io this bench reads, in bytes. */
export interface IoCounters {
  /** Bytes this process caused to be sent to the block layer (its dirtied page-cache pages, and direct writes). */
  readonly write_bytes: number
  /** Bytes passed to write(2) and friends, whether or not they reach a disk. */
  readonly wchar: number
  readonly syscw: number
}

export interface StorageReport {
  readonly payments: number
  readonly delta: IoCounters
}

function ioCounters(): IoCounters {
  const fields = new Map(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map(line => {
    const [name, value] = line.split(':')
    return [name!.trim(), Number(value)] as const
  }))
  const read = (name: string) => {
    const value = fields.get(name)
    if (value === undefined || !Number.isSafeInteger(value)) throw new Error(`/proc/self/io has no ${name}: the storage bench runs on Linux`)
    return value
  }
  return { write_bytes: read('write_bytes'), wchar: read('wchar'), syscw: read('syscw') }
}

async function main(): Promise<void> {
  const [dataDir, paymentsText] = process.argv.slice(2)
  const payments = Number(paymentsText)
  if (dataDir === undefined || !Number.isSafeInteger(payments) || payments < 1) throw new Error('usage: storage-child DATA_DIR PAYMENTS')
  // The phone is the gateway's own, made with it: the link reaches it through the gateway.
  const gateway: StandaloneGateway = standaloneGateway(dataDir, {
    exchange: async request => paymentResponseCodec.encode(gateway.phone.authorize(paymentRequestCodec.decode(request))),
  }, 'bench-storage')
  // One payment first: the statements are prepared and the WAL file exists before counting starts.
  await gateway.payments.take(100)
  const before = ioCounters()
  for (let index = 0; index < payments; index++) {
    const outcome = await gateway.payments.take(100 + (index % 50))
    if (outcome.kind !== 'approved') throw new Error(`storage bench payment ${index + 1}: ${JSON.stringify(outcome)}`)
  }
  const after = ioCounters()
  gateway.store.close()
  const report: StorageReport = {
    payments,
    delta: { write_bytes: after.write_bytes - before.write_bytes, wchar: after.wchar - before.wchar, syscw: after.syscw - before.syscw },
  }
  process.stdout.write(JSON.stringify(report) + '\n')
}

main().catch(error => {
  process.stderr.write(`storage bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
})
