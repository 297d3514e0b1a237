import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fromHex, toHex } from '../../../protocol/bytes'
import { MINUTE_MS } from '../../../protocol/clock'
import { AckOutcome } from '../../../protocol/messages/ack'
import { authorizationCodec, transferIdOf, type Authorization } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { buildApp } from '../../../hub/app'
import { FlagStore } from '../../../hub/ingest/flag-store'
import { openDatabase } from '../../../hub/store/database'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { SqliteEngine } from '../../../hub/store/sql'
import { addUser, errorOf, testContext } from '../http/fixtures'
import { ingestWorld, type TestGateway } from './world'

async function flagWorld(t: Test) {
  const w = await ingestWorld(t, { seed: 'flags' })
  const gateway = await w.addGateway('00000000000000F1')
  const operatorId = await addUser(w.context, { email: 'ops@example.com', passwordHash: 'x', role: 'operator', fullName: 'Awa Operator' })
  const app = await buildApp(w.context)
  t.teardown(() => app.close())
  await app.ready()
  const headers = async (userId: string) => ({ authorization: `Bearer ${(await app.issueAccessToken({ sub: userId })).token}` })
  const operator = await headers(operatorId)
  const get = (url: string, as = operator) => app.inject({ method: 'GET', url, headers: as })
  const resolve = (id: number | string, payload: unknown, as = operator) =>
    app.inject({ method: 'POST', url: `/flags/${id}/resolve`, headers: as, payload: payload as object })

  /** A customer who pays 1 000, then, their phone's memory of it lost, pays 2 000 under the same counter. */
  async function doubleSpend(at: TestGateway = gateway) {
    const customer = await w.addCustomer(10_000, 10_000)
    const first = w.pay(customer.phone, at, 1_000)
    at.append(first)
    customer.phone.forget(customer.voucher)
    const second = w.pay(customer.phone, at, 2_000)
    at.append(second)
    const ack = await w.ingest.ingest(at.eui, at.batch(at.records.length - 1))
    t.same(ack!.entries.map(entry => entry.outcome), [AckOutcome.Settled, AckOutcome.Flagged], 'premise: the second is flagged')
    return { customer, first, second }
  }
  return { w, app, gateway, operatorId, operator, headers, get, resolve, doubleSpend }
}

function evidenceOf(authorization: Authorization, transferId: string | null, gatewayId: string | null) {
  return {
    transferId, gatewayId, gatewayEui: authorization.gatewayEui, counter: authorization.seq, cumulativeMinor: authorization.cumulativeMinor,
    amountMinor: authorization.amountMinor, currency: 'XOF', atMs: authorization.timeMs,
    messageHex: toHex(authorizationCodec.encodeUnsigned(authorization)), signatureHex: toHex(authorization.signature), signatureValid: true,
  }
}

t.test('an operator reads a double spend with both signed authorizations, decoded and verified under the payer’s key', async t => {
  const { w, gateway, get, doubleSpend } = await flagWorld(t)
  const { customer, first, second } = await doubleSpend()
  const response = await get('/flags')
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    flags: [{
      id: 1, kind: 'same_seq', gatewayId: `gw_${gateway.eui}`, voucherId: customer.voucherIdHex, payerUserId: customer.userId,
      payerDeviceKey: toHex(customer.phone.keys.publicKey), detectedAtMs: w.clock.now_ms(), status: 'open',
      resolvedAtMs: null, resolvedByUserId: null, resolvedByName: null, note: null,
      authorizations: [
        evidenceOf(first, toHex(transferIdOf(first)), `gw_${gateway.eui}`),
        evidenceOf(second, toHex(transferIdOf(second)), `gw_${gateway.eui}`),
      ],
    }],
    next: null,
  })
  const [flag] = response.json().flags
  for (const authorization of flag.authorizations) {
    t.ok(nodeEd25519.verify(fromHex(authorization.messageHex), fromHex(authorization.signatureHex), fromHex(flag.payerDeviceKey)),
      'anyone can check the proof from the hex alone')
  }
})

t.test('a stored authorization whose signature no longer verifies shows signatureValid false', async t => {
  const { w, get, doubleSpend } = await flagWorld(t)
  const { second } = await doubleSpend()
  const altered = authorizationCodec.encode({ ...second, amountMinor: 9_000, cumulativeMinor: 9_000 })
  w.db.prepare('UPDATE double_spends SET second_authorization = ?').run(altered)
  const [flag] = (await get('/flags')).json().flags
  t.same(flag.authorizations.map((authorization: { signatureValid: boolean }) => authorization.signatureValid), [true, false])
  t.equal(flag.authorizations[1].amountMinor, 9_000, 'the fields are the stored bytes’, not a copy kept beside them')
})

t.test('flags page newest first by cursor, and filter by status', async t => {
  const { w, get, resolve, doubleSpend } = await flagWorld(t)
  for (let count = 0; count < 3; count++) {
    await doubleSpend()
    w.clock.advance(MINUTE_MS)
  }
  const firstPage = (await get('/flags?limit=2')).json()
  t.same(firstPage.flags.map((flag: { id: number }) => flag.id), [3, 2])
  t.equal(firstPage.next, '2')
  const lastPage = (await get(`/flags?limit=2&before=${firstPage.next}`)).json()
  t.same([lastPage.flags.map((flag: { id: number }) => flag.id), lastPage.next], [[1], null])

  t.equal((await resolve(2, { note: 'refunded by the merchant' })).statusCode, 200)
  t.same((await get('/flags?status=open')).json().flags.map((flag: { id: number }) => flag.id), [3, 1])
  t.same((await get('/flags?status=resolved')).json().flags.map((flag: { id: number }) => flag.id), [2])
  for (const query of ['status=closed', 'limit=0', 'limit=101', 'before=0', 'before=abc', 'other=1']) {
    const response = await get(`/flags?${query}`)
    t.equal(response.statusCode, 400, query)
    t.equal(errorOf(response).code, 'BAD_REQUEST', query)
  }
})

t.test('resolving a flag records who, when and why once: again is 409 FLAG_RESOLVED and changes nothing', async t => {
  const { w, get, resolve, doubleSpend, operatorId, app, operator } = await flagWorld(t)
  await doubleSpend()
  const dashboardFlags = async () => (await get('/users/dashboard-infos')).json().operator.flags.doubleSpends
  t.equal(await dashboardFlags(), 1, 'the dashboard counts it as needing attention')
  w.clock.advance(MINUTE_MS)
  const resolved = await resolve(1, { note: '  customer repaid in cash  ' })
  t.equal(resolved.statusCode, 200)
  t.match(resolved.json(), {
    id: 1, status: 'resolved', resolvedAtMs: w.clock.now_ms(), resolvedByUserId: operatorId, resolvedByName: 'Awa Operator', note: 'customer repaid in cash',
  })
  t.equal(await dashboardFlags(), 0, 'a resolved flag needs no more attention')

  const secondOperator = await addUser(w.context, { email: 'ops2@example.com', passwordHash: 'x', role: 'operator' })
  w.clock.advance(MINUTE_MS)
  const again = await app.inject({
    method: 'POST', url: '/flags/1/resolve', payload: { note: 'another view' },
    headers: { authorization: `Bearer ${(await app.issueAccessToken({ sub: secondOperator })).token}` },
  })
  t.equal(again.statusCode, 409)
  t.same(errorOf(again), {
    code: 'FLAG_RESOLVED', message: `flag 1 was resolved by Awa Operator at ${new Date(w.clock.now_ms() - MINUTE_MS).toISOString()}`,
  })
  t.match((await get('/flags', operator)).json().flags[0], { resolvedByUserId: operatorId, note: 'customer repaid in cash' }, 'the first resolution stands')
  const audit = (await get('/admin/audit', operator)).json().entries
  t.match(audit, [{
    atMs: w.clock.now_ms() - MINUTE_MS, actorId: operatorId, actorName: 'Awa Operator', action: 'flag.resolve', targetId: '1',
    targetName: /^double spend of voucher [0-9a-f]{32}$/, detail: 'customer repaid in cash',
  }], 'the resolution is in the audit log, once')
  t.equal(audit.length, 1)
})

t.test('resolving is for operators, with a note, of a flag that exists', async t => {
  const { w, resolve, get, doubleSpend, headers } = await flagWorld(t)
  const { customer } = await doubleSpend()
  t.equal(errorOf(await resolve(99, { note: 'x' })).code, 'NOT_FOUND')
  for (const payload of [{}, { note: '' }, { note: '   ' }, { note: 'two\nlines' }, { note: 'x'.repeat(1_001) }, { note: 'ok', extra: 1 }]) {
    const response = await resolve(1, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
  }
  const owner = await headers(await addUser(w.context, { email: 'owner@example.com', passwordHash: 'x', role: 'owner' }))
  for (const as of [await headers(customer.userId), owner]) {
    t.equal((await resolve(1, { note: 'mine now' }, as)).statusCode, 403)
    t.equal((await get('/flags', as)).statusCode, 403)
  }
  t.equal((await get('/flags', {} as never)).statusCode, 401)
  t.equal((await get('/flags')).json().flags[0].status, 'open', 'nothing was resolved')
})

t.test('a conflicting request refused online is flagged too, its authorization with no transfer', async t => {
  const { w, gateway, get } = await flagWorld(t)
  const customer = await w.addCustomer(10_000, 10_000)
  const paid = w.pay(customer.phone, gateway, 1_000)
  gateway.append(paid)
  await w.ingest.ingest(gateway.eui, gateway.batch())
  customer.phone.forget(customer.voucher)
  const attempt = w.pay(customer.phone, gateway, 3_000)
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: attempt })
  const declined = (await w.ingest.authorizeOnline(gateway.eui, request))!
  t.same([declined.approved, declined.reason], [false, Reason.DoubleSpend])
  await w.ingest.authorizeOnline(gateway.eui, onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: attempt }))

  const { flags } = (await get('/flags')).json()
  t.equal(flags.length, 1, 'one flag, however often the same request comes')
  t.same(flags[0].authorizations, [
    evidenceOf(paid, toHex(transferIdOf(paid)), `gw_${gateway.eui}`),
    evidenceOf(attempt, null, `gw_${gateway.eui}`),
  ])
})

t.test('double spends found before flags existed become open flags, in the order they were found', async t => {
  const { context } = testContext(t)
  context.db.close()
  const path = join(context.config.dataDir, 'before-flags.sqlite')
  // A database as the hub left it before flags existed: every migration up to the one that made them.
  const flagsVersion = MIGRATIONS.find(migration => migration.name === 'double-spend flags an operator resolves')!.version
  openDatabase(path, { migrations: MIGRATIONS.filter(migration => migration.version < flagsVersion) }).close()
  const raw = new Database(path)
  const insert = raw.prepare(`INSERT INTO double_spends (voucher_id, kind, first_transfer_id, second_transfer_id, first_authorization,
    second_authorization, detected_at_ms) VALUES (?, 'same_seq', ?, ?, x'01', x'02', ?)`)
  insert.run('b'.repeat(32), 'c'.repeat(64), 'd'.repeat(64), 2_000)
  insert.run('a'.repeat(32), 'e'.repeat(64), 'f'.repeat(64), 1_000)
  raw.close()

  const db = openDatabase(path)
  t.teardown(() => db.close())
  const flags = await new FlagStore(new SqliteEngine(db)).page(undefined, undefined, 10)
  t.same(flags.map(flag => [flag.id, flag.voucherIdHex, flag.resolution]), [[2, 'b'.repeat(32), null], [1, 'a'.repeat(32), null]])
  t.same(flags[0]!.authorizations.map(authorization => [authorization.transferIdHex, [...authorization.bytes]]),
    [['c'.repeat(64), [1]], ['d'.repeat(64), [2]]], 'the proofs are kept as they were')
})
