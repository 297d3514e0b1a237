import t from 'tap'
import fc from 'fast-check'
import { ackCodec, AckOutcome } from '../../../protocol/messages/ack'
import { authorizationCodec } from '../../../protocol/messages/authorization'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { verifyLedger } from '../../../hub/ledger/verify'
import { ingestWorld, type TestGateway } from './world'

// Random traffic — payments, cloned phones, forged signatures, re-sent and partial batches —
// must keep every ledger invariant, settle each payment at most once, and change nothing when
// all of it is delivered a second time.

type Step =
  | { kind: 'pay'; customer: number; gateway: number; amountMinor: number }
  | { kind: 'clone'; customer: number }
  | { kind: 'forge'; customer: number; gateway: number }
  | { kind: 'sync'; gateway: number; partial: boolean }
  | { kind: 'resend'; gateway: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pay' as const), customer: fc.nat(2), gateway: fc.nat(1), amountMinor: fc.integer({ min: 1, max: 4_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clone' as const), customer: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forge' as const), customer: fc.nat(2), gateway: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), gateway: fc.nat(1), partial: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), gateway: fc.nat(1) }) },
)

t.test('random traffic keeps the invariants and replaying it changes nothing', async t => {
  let run = 0
  const seen = { settled: 0, flagged: 0, rejected: 0, duplicate: 0 }
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async steps => {
      run++
      const w = await ingestWorld(t, { seed: `property-${run}` })
      const gateways: TestGateway[] = [
        await w.addGateway(`00000000000010${(run % 100).toString().padStart(2, '0')}`),
        await w.addGateway(`00000000000020${(run % 100).toString().padStart(2, '0')}`),
      ]
      const customers = [await w.addCustomer(20_000, 10_000), await w.addCustomer(5_000, 5_000), await w.addCustomer(3_000, 3_000)]
      const sent: Array<{ eui: string; payload: Uint8Array }> = []
      const settledTransfers = new Set<string>()

      const deliver = async (eui: string, payload: Uint8Array) => {
        sent.push({ eui, payload })
        const ack = await w.ingest.ingest(eui, payload)
        if (ack === null) return
        if (!ackCodec.verify(ack, w.context.hubKeys.publicKey, nodeEd25519)) throw new Error('ack not signed by the hub')
        for (const entry of ack.entries) {
          if (entry.outcome === AckOutcome.Settled) seen.settled++
          if (entry.outcome === AckOutcome.Flagged) seen.flagged++
          if (entry.outcome === AckOutcome.Rejected) seen.rejected++
          if (entry.outcome === AckOutcome.Duplicate) seen.duplicate++
        }
      }

      for (const s of steps) {
        if (s.kind === 'pay') {
          const customer = customers[s.customer]!
          const gateway = gateways[s.gateway]!
          try {
            gateway.append(w.pay(customer.phone, gateway, s.amountMinor))
          } catch {
            // The phone's allowance is used up: it declines, as a real wallet does.
          }
        } else if (s.kind === 'clone') {
          customers[s.customer]!.phone.forget(customers[s.customer]!.voucher)
        } else if (s.kind === 'forge') {
          const gateway = gateways[s.gateway]!
          const customer = customers[s.customer]!
          try {
            const real = w.pay(customer.phone, gateway, 1)
            gateway.append(authorizationCodec.sign(real, nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(run)).secretKey, nodeEd25519))
          } catch {
            // no allowance left
          }
        } else if (s.kind === 'sync' || s.kind === 'resend') {
          const gateway = gateways[s.gateway]!
          const last = gateway.position.gatewaySeq
          if (last === 0) continue
          const from = s.kind === 'resend' ? 1 : Math.max(1, last - 5)
          const to = s.kind === 'sync' && s.partial ? Math.max(from, last - 1) : last
          await deliver(gateway.eui, gateway.batch(from, to))
        }
      }
      for (const gateway of gateways) if (gateway.position.gatewaySeq > 0) await deliver(gateway.eui, gateway.batch())

      const verification = await verifyLedger(w.ledger)
      if (!verification.ok) throw new Error(`ledger invariants broken: ${JSON.stringify(verification.violations)}`)
      const rows = w.db.prepare(`SELECT transfer_id FROM gateway_records WHERE outcome <> 'rejected'`).all() as Array<{ transfer_id: string }>
      for (const row of rows) {
        if (settledTransfers.has(row.transfer_id)) throw new Error(`transfer ${row.transfer_id} counted twice`)
        settledTransfers.add(row.transfer_id)
      }
      const transfers = (w.db.prepare(`SELECT count(*) AS n FROM transfers WHERE kind = 'offline_payment'`).get() as { n: number }).n
      if (transfers !== settledTransfers.size) throw new Error(`${transfers} transfers for ${settledTransfers.size} accepted records`)

      const balances = () => JSON.stringify(w.db.prepare('SELECT id, balance_minor FROM accounts ORDER BY id').all())
      const before = balances()
      for (const { eui, payload } of sent) {
        const ack = await w.ingest.ingest(eui, payload)
        if (ack !== null && ack.entries.some(e => e.outcome === AckOutcome.Settled || e.outcome === AckOutcome.Flagged)) {
          throw new Error('a replayed batch settled something')
        }
      }
      if (balances() !== before) throw new Error('replaying the input changed balances')
    }),
    { seed: 4242, numRuns: 25 },
  )
  t.pass(`${run} random runs kept every invariant`)
  t.ok(seen.settled > 0 && seen.flagged > 0 && seen.rejected > 0 && seen.duplicate > 0,
    `the runs reached every outcome: ${JSON.stringify(seen)}`)
})
