// Power cuts, as far as a process can stage them: the terminal is killed with SIGKILL at many seeded
// instants over a run of payments (between payments, inside the transaction appending one, and at
// seeded wall-clock delays that land anywhere, commits and checkpoints included), and after each
// restart the store must hold a gapless chain that verifies and every payment it reported approved.
// A kill drops what the process held, not the kernel's page cache: that the disk keeps what SQLite
// fsynced (synchronous=FULL) is the filesystem's promise, which no test in a process can break.

import t from 'tap'
import { spawn } from 'node:child_process'
import { buildSync } from 'esbuild'
import { join } from 'node:path'
import { CHAIN_START, verifyChainSegment } from '../../protocol/chain'
import { transferRecordCodec } from '../../protocol/messages/transfer-record'
import { TerminalStore } from '../../terminal/store/store'
import { SeededRandom } from '../../simulator/fleet/seeded-random'
import { provisionedStore } from './fixtures'

const RESTARTS = 20

/** When the child dies: after it reported `approvals` more payments, inside the append of `seq`, or `delayMs` after it is ready. */
type Kill =
  | { readonly kind: 'after-approvals'; readonly approvals: number }
  | { readonly kind: 'inside-append'; readonly seq: number }
  | { readonly kind: 'after-delay'; readonly delay_ms: number }

interface Run {
  /** The chain head the child found when it started. */
  readonly startHead: number
  readonly approved: number[]
}

/**
 * crash-child.ts bundled into one script for plain node: a child started through the test runner's
 * TypeScript loader takes seconds to start on this machine, a bundle a fraction of one, and the
 * test restarts the terminal many times.
 */
function bundleChild(outDir: string): string {
  const script = join(outDir, 'crash-child.js')
  buildSync({
    entryPoints: [join(__dirname, 'crash-child.ts')], outfile: script, bundle: true, platform: 'node', format: 'cjs',
    external: ['better-sqlite3'], logLevel: 'error',
  })
  return script
}

function runUntilKilled(script: string, dataDir: string, kill: Kill): Promise<Run> {
  const args = [script, dataDir, ...(kill.kind === 'inside-append' ? [String(kill.seq)] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: join(__dirname, '..', '..') })
  const approved: number[] = []
  let startHead = -1
  let buffered = ''
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        const ready = /^ready (\d+)$/.exec(line)
        if (ready !== null) {
          startHead = Number(ready[1])
          // A seeded delay from the first instant the child can pay: where it lands in the code is the machine's to say.
          if (kill.kind === 'after-delay') setTimeout(() => child.kill('SIGKILL'), kill.delay_ms)
        }
        const match = /^approved (\d+)$/.exec(line)
        if (match !== null) approved.push(Number(match[1]))
        if (kill.kind === 'after-approvals' && approved.length === kill.approvals) child.kill('SIGKILL')
      }
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the child ended without being killed (${signal})`))
      else resolve({ startHead, approved })
    })
  })
}

function plannedKill(random: SeededRandom, head: number): Kill {
  switch (random.integer(0, 2)) {
    case 0: return { kind: 'after-approvals', approvals: random.integer(1, 30) }
    case 1: return { kind: 'inside-append', seq: head + random.integer(1, 30) }
    default: return { kind: 'after-delay', delay_ms: random.integer(0, 150) }
  }
}

t.test('killed at seeded instants over a run of payments, the terminal restarts each time with every approved payment and a gapless chain', async t => {
  const base = t.testdir()
  const dir = join(base, 'gateway')
  provisionedStore(dir).close()
  const script = bundleChild(base)
  const random = new SeededRandom('terminal-crash')
  const reported = new Set<number>()
  let head = 0
  for (let restart = 0; restart < RESTARTS; restart++) {
    const kill = plannedKill(random, head)
    const run = await runUntilKilled(script, dir, kill)
    t.equal(run.startHead, head, `restart ${restart}: the child found the chain where the last check left it`)
    for (const seq of run.approved) reported.add(seq)

    const store = TerminalStore.open(dir)
    try {
      t.equal(store.db.pragma('integrity_check', { simple: true }), 'ok')
      const records = store.recordsFrom(1, 100_000)
      const seqs = records.map(record => record.gatewaySeq)
      t.same(seqs, seqs.map((_, index) => index + 1), `after ${JSON.stringify(kill)}: no gap`)
      t.ok([...reported].every(seq => seq <= seqs.length), `all ${reported.size} payments reported approved are stored`)
      const { position } = verifyChainSegment(CHAIN_START, records.map(record => transferRecordCodec.decode(record.record)))
      t.same(position, store.chainHead(), 'the chain verifies up to the stored head')
      if (kill.kind === 'inside-append') {
        t.equal(store.chainHead().gatewaySeq, kill.seq - 1, 'the payment killed inside its transaction left nothing')
      }
      head = store.chainHead().gatewaySeq
    } finally {
      store.close()
    }
  }
  t.ok(head > RESTARTS, 'payments were taken between the kills')
})
