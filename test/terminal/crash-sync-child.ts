// Run by crash-sync.test.ts as a terminal process killed with SIGKILL in the middle of a sync: it
// opens its store, connects through the test's gate (argv: data dir, broker URL, stop point) and
// uploads in batches of 4, one in flight, printing "forwarded <from> <to>" and "acked <head>".
// With the stop point "inside-ack:<seq>", the transaction applying an ack stops dead right after
// it marked record <seq> acked: it prints "applying <seq> <records acked in the transaction>" and
// blocks its only thread until the kill, so the kill lands inside that transaction.

import { writeSync } from 'node:fs'
import { attachTerminal } from '../../simulator/fleet/terminal'
import { TerminalStore } from '../../terminal/store/store'

const BATCH_RECORDS = 4

function report(line: string): void {
  // Synchronous, so the line is in the pipe before the process blocks or dies.
  writeSync(1, `${line}\n`)
}

function blockUntilKilled(): never {
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
}

/** A connection-local (TEMP) trigger: the database file is not changed, only this process stops there. */
function stopInsideAck(store: TerminalStore, seq: number): void {
  store.db.function('crash_point', (gatewaySeq: unknown, ackedNow: unknown) => {
    report(`applying ${String(gatewaySeq)} ${String(ackedNow)}`)
    return blockUntilKilled()
  })
  store.db.exec(`CREATE TEMP TRIGGER crash_inside_ack AFTER UPDATE OF status ON main.records
    WHEN NEW.gateway_seq = ${seq} AND NEW.status <> 'pending'
    BEGIN SELECT crash_point(NEW.gateway_seq, (SELECT COUNT(*) FROM main.records WHERE status <> 'pending')); END`)
}

async function main(): Promise<void> {
  const [dataDir, brokerUrl, stopAt] = process.argv.slice(2) as [string, string, string]
  const store = TerminalStore.open(dataDir)
  const inside = /^inside-ack:(\d+)$/.exec(stopAt)
  if (inside !== null) stopInsideAck(store, Number(inside[1]))
  const terminal = await attachTerminal(store, dataDir, {
    brokerUrl, syncOptions: { batchRecordsMax: BATCH_RECORDS, batchesInFlightMax: 1 },
  })
  terminal.events.on('records-forwarded', ({ fromSeq, toSeq }) => report(`forwarded ${fromSeq} ${toSeq}`))
  terminal.events.on('records-acked', ({ headSeq }) => report(`acked ${headSeq}`))
  await terminal.relay.up()
}

main().catch(error => {
  process.stderr.write(String(error?.stack ?? error))
  process.exit(1)
})
