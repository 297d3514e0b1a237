import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { CHAIN_START, verifyChainSegment } from '../../protocol/chain'
import { transferRecordCodec } from '../../protocol/messages/transfer-record'
import { TerminalStore } from '../../terminal/store/store'
import { provisionedStore } from './fixtures'

/** Starts the child, kills it with SIGKILL after `approvals` approvals, returns the seqs it reported approved. */
function killAfter(dataDir: string, approvals: number): Promise<number[]> {
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, 'crash-child.ts'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const approved: number[] = []
  let buffered = ''
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const match = /^approved (\d+)$/.exec(line)
        if (match !== null) approved.push(Number(match[1]))
        if (approved.length === approvals) child.kill('SIGKILL')
      }
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the child ended without being killed (${signal})`))
      else resolve(approved)
    })
  })
}

t.test('killed with SIGKILL mid-payment, the terminal restarts with every approved payment and a gapless chain', async t => {
  const dir = t.testdir()
  provisionedStore(dir).close()
  const reported: number[] = []
  for (const approvals of [25, 40]) reported.push(...await killAfter(dir, approvals))

  const store = TerminalStore.open(dir)
  t.teardown(() => store.close())
  t.equal(store.db.pragma('integrity_check', { simple: true }), 'ok')
  const records = store.recordsFrom(1, 100_000)
  const seqs = new Set(records.map(record => record.gatewaySeq))
  t.ok(reported.every(seq => seqs.has(seq)), `all ${reported.length} payments reported approved are stored`)
  t.same(records.map(record => record.gatewaySeq), records.map((_, index) => index + 1), 'no gap')
  const { position } = verifyChainSegment(CHAIN_START, records.map(record => transferRecordCodec.decode(record.record)))
  t.same(position, store.chainHead(), 'the chain verifies up to the stored head')
})
