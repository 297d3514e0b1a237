import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { CHAIN_START, verifyChainSegment } from '../../protocol/chain'
import { ackCodec } from '../../protocol/messages/ack'
import { transferRecordCodec } from '../../protocol/messages/transfer-record'
import { gatewayTopic } from '../../protocol/topics'
import { TerminalStore } from '../../terminal/store/store'
import {
  attachTerminal, customerWithVoucher, merchantBalance, provisionedTerminal, shutDown, startTestHub,
} from './hub-world'
import { MqttGate, type HeldPublish } from './mqtt-gate'

// What crash-sync-child.ts uploads at a time; the kills are placed in the second batch, 5-8.
const BATCH_RECORDS = 4
const AMOUNTS = [1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 10_000]
const sum = (amounts: readonly number[]): number => amounts.reduce((total, amount) => total + amount, 0)

/** A provisioned terminal that took AMOUNTS offline (seqs 1-10), then was shut down; a gate in front of the broker. */
async function terminalWithTenPayments(t: Test, eui: string, ownerEmail: string) {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, eui, ownerEmail)
  const customers = [
    await customerWithVoucher(operator, `ndeye-${eui}@phone.example`, 100_000, '50000'),
    await customerWithVoucher(operator, `samba-${eui}@phone.example`, 100_000, '50000'),
  ]
  for (const [index, amount] of AMOUNTS.entries()) {
    const outcome = await world.pay(customers[index % 2]!.phone, amount)
    if (outcome.kind !== 'approved' || outcome.modeNote !== 'offline-link-down') throw new Error(`payment ${index + 1}: ${JSON.stringify(outcome)}`)
  }
  const gatewayId = world.store.requireHubPin().gatewayId
  await shutDown(world)
  const gate = MqttGate.forUrl(hub.mqttUrl!)
  await gate.start()
  t.teardown(() => gate.close())
  return { hub, operator, gate, gatewayId, dataDir: world.dataDir, ownerEmail, acksTopic: gatewayTopic(eui, 'acks') }
}

/** Resolves with the first line the child printed (or prints later) that matches. */
type Seen = (line: RegExp) => Promise<RegExpExecArray>

/** Runs the terminal child until `killWhen` resolves, kills it with SIGKILL, returns the lines it printed. */
function killChildWhen(dataDir: string, brokerUrl: string, stopAt: string, killWhen: (seen: Seen) => Promise<void>): Promise<string[]> {
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, 'crash-sync-child.ts'), dataDir, brokerUrl, stopAt], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const lookers = new Set<() => boolean>()
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const complete = buffered.split('\n')
    buffered = complete.pop()!
    lines.push(...complete)
    for (const look of lookers) if (look()) lookers.delete(look)
  })
  const seen: Seen = pattern => new Promise(resolve => {
    const look = (): boolean => {
      const match = lines.map(line => pattern.exec(line)).find(found => found !== null)
      if (match === undefined || match === null) return false
      resolve(match)
      return true
    }
    if (!look()) lookers.add(look)
  })
  let killed = false
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve([...lines])
      else reject(new Error(`the terminal child ended by itself (code ${code}, signal ${signal}) after: ${lines.join(' | ')}`))
    })
    const kill = (): void => {
      killed = true
      child.kill('SIGKILL')
    }
    killWhen(seen).then(kill, error => {
      kill()
      reject(error)
    })
  })
}

function statuses(store: TerminalStore): string[] {
  return store.recordsFrom(1, 100).map(record => `${record.gatewaySeq}:${record.status}${record.ackOutcome === null ? '' : `/${record.ackOutcome}`}`)
}

const headSeqOf = (publish: HeldPublish): number => ackCodec.decode(new Uint8Array(publish.payload)).headSeq

/**
 * After the kill: the store is whole and its chain verifies; a restarted terminal resumes with the
 * first unacked record (the gate holds every ack until that first batch is out, so the old ack the
 * broker kept for the dead session cannot move the start); then every record settles once.
 */
async function restartsAndSettlesOnce(t: Test, world: Awaited<ReturnType<typeof terminalWithTenPayments>>) {
  const store = TerminalStore.open(world.dataDir)
  t.equal(store.db.pragma('integrity_check', { simple: true }), 'ok', 'the database is whole')
  const records = store.recordsFrom(1, 100)
  t.same(records.map(record => record.gatewaySeq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'the chain is intact: every record, no gap')
  const { position } = verifyChainSegment(CHAIN_START, records.map(record => transferRecordCodec.decode(record.record)))
  t.same(position, store.chainHead(), 'the chain verifies up to the stored head')
  t.same(statuses(store), [
    '1:acked/settled', '2:acked/settled', '3:acked/settled', '4:acked/settled',
    '5:pending', '6:pending', '7:pending', '8:pending', '9:pending', '10:pending',
  ], 'the first batch\'s ack was kept; nothing of the second')
  t.equal(store.firstPendingSeq(), BATCH_RECORDS + 1)

  world.gate.hold(publish => publish.topic === world.acksTopic)
  const restarted = await attachTerminal(store, world.dataDir, world.ownerEmail, world.gate.url, { batchRecordsMax: BATCH_RECORDS, batchesInFlightMax: 1 })
  t.teardown(() => shutDown(restarted))
  const forwarded: string[] = []
  restarted.events.on('records-forwarded', ({ fromSeq, toSeq }) => forwarded.push(`${fromSeq}-${toSeq}`))
  const firstBatch = restarted.events.next('records-forwarded')
  await restarted.proxy.up()
  const [{ fromSeq }] = await firstBatch
  t.equal(fromSeq, BATCH_RECORDS + 1, 'the upload resumes exactly at the first unacked record')
  world.gate.release()
  const report = await restarted.sync.syncNow()
  t.match(report, { error: null, pendingLeft: 0 })
  t.same(forwarded, ['5-8', '9-10'], 'nothing acked before the crash went up again')

  const after = statuses(restarted.store)
  t.same(after.slice(0, 4), ['1:acked/settled', '2:acked/settled', '3:acked/settled', '4:acked/settled'])
  for (const line of after.slice(4, 8)) t.match(line, /^\d+:acked\/(settled|duplicate)$/, `${line}: settled before the crash, acked now`)
  t.same(after.slice(8), ['9:acked/settled', '10:acked/settled'])
  t.equal(await merchantBalance(world.hub, world.ownerEmail), sum(AMOUNTS), 'the merchant was paid every payment exactly once')
  t.equal((await world.operator.ok('GET', '/ledger/verify')).ok, true, 'the hub\'s ledger keeps its invariants')
  t.match((await world.operator.ok('GET', `/gateways/${world.gatewayId}/status`)).chain, { contiguousSeq: 10, highestSeq: 10 }, 'the hub holds the whole chain')
}

t.test('killed after the hub settled a batch and before its ack reached the terminal, it resumes and nothing settles twice', async t => {
  const world = await terminalWithTenPayments(t, '70B3D57ED0000C01', 'khady@shop.example')
  // Acks of the first batch pass; the hub's ack of 5-8 is held at the gate.
  world.gate.hold(publish => publish.topic === world.acksTopic && headSeqOf(publish) >= 2 * BATCH_RECORDS)
  const ackHeld = world.gate.nextHeld(publish => publish.topic === world.acksTopic)

  const lines = await killChildWhen(world.dataDir, world.gate.url, 'run', async seen => {
    await seen(/^forwarded 5 8$/)
    t.equal(headSeqOf(await ackHeld), 8, 'the hub settled 5-8 and answered; the answer is held')
  })
  t.ok(lines.includes('acked 4'), 'the first batch was acked before the kill')
  t.notOk(lines.some(line => /^acked 8$/.test(line)), 'the terminal never saw the ack of 5-8')
  t.equal(await merchantBalance(world.hub, world.ownerEmail), sum(AMOUNTS.slice(0, 8)), 'the hub had settled 1-8 when the terminal died')

  await restartsAndSettlesOnce(t, world)
})

t.test('killed while applying an ack, inside its transaction, it keeps none of that ack and resumes where it was', async t => {
  const world = await terminalWithTenPayments(t, '70B3D57ED0000C02', 'yacine@shop.example')

  const lines = await killChildWhen(world.dataDir, world.gate.url, 'inside-ack:6', async seen => {
    const [, seq, ackedInTransaction] = await seen(/^applying (\d+) (\d+)$/)
    t.equal(Number(seq), 6)
    t.equal(Number(ackedInTransaction), 6, 'the ack of 5-8 had arrived and was half applied (1-6 acked inside the transaction)')
  })
  t.ok(lines.includes('acked 4'))
  t.equal(await merchantBalance(world.hub, world.ownerEmail), sum(AMOUNTS.slice(0, 8)), 'the hub had settled 1-8 when the terminal died')

  await restartsAndSettlesOnce(t, world)
})
