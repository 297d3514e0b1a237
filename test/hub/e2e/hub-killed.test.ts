import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ackCodec, AckOutcome, type Ack } from '../../../protocol/messages/ack'
import { startHub } from '../../../hub/server'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import {
  connectGateway, customerWithVoucher, gatewayTopic, hubConfig, OPERATOR, provisionGateway, Rest, subscribe, CURRENCY,
} from './running-hub'

// kill -9 at an arbitrary instant of the ingest: whatever the hub acked is there after the
// restart, and re-sending everything settles each payment exactly once.

const BATCHES = 12
const RECORDS_PER_BATCH = 40

function startHubProcess(dataDir: string): Promise<{ child: ChildProcess; httpUrl: string; mqttUrl: string }> {
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, 'hub-process.ts')], {
    env: { ...process.env, PAYALL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout!.on('data', chunk => {
      output += chunk
      if (output.includes('\n')) resolve({ child, ...JSON.parse(output.split('\n')[0]!) })
    })
    child.once('exit', code => reject(new Error(`hub exited with ${code}`)))
  })
}

async function sendAll(mqttUrl: string, chain: SimulatedGatewayChain, onAck: (ack: Ack) => void): Promise<void> {
  const client = await connectGateway(mqttUrl, chain.eui, chain.keys)
  await subscribe(client, gatewayTopic(chain.eui, 'acks'))
  client.on('message', (_topic, payload) => onAck(ackCodec.decode(new Uint8Array(payload))))
  client.on('error', () => undefined)
  for (let from = 1; from <= chain.position.gatewaySeq; from += RECORDS_PER_BATCH) {
    client.publish(gatewayTopic(chain.eui, 'records'), Buffer.from(chain.batch(from, from + RECORDS_PER_BATCH - 1)), { qos: 1 })
  }
}

t.test('a hub killed with SIGKILL mid-ingest keeps every acked payment and settles nothing twice', async t => {
  const dataDir = join(t.testdir(), 'hub')
  const setup = await startHub(hubConfig(dataDir))
  const operator = await new Rest(setup.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(setup, operator, '70B3D57ED00000C1', 'kill@shop.example')
  const customer = await customerWithVoucher(operator, 'kill@phone.example', 1_000_000, '500000')
  await setup.stop()

  const chain = new SimulatedGatewayChain(gateway.eui, gateway.keys)
  let expected_minor = 0
  for (let i = 0; i < BATCHES * RECORDS_PER_BATCH; i++) {
    const amount_minor = 100 + i
    expected_minor += amount_minor
    chain.append(customer.phone.authorize({
      gatewayEui: chain.eui, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: Date.now(), merchantName: 'Shop',
    }).authorization)
  }

  const first = await startHubProcess(dataDir)
  t.teardown(() => { first.child.kill('SIGKILL') })
  const ackedBeforeKill: Ack[] = []
  await new Promise<void>(resolve => {
    void sendAll(first.mqttUrl, chain, ack => {
      ackedBeforeKill.push(ack)
      if (ackedBeforeKill.length === 1) {
        first.child.kill('SIGKILL')
        resolve()
      }
    })
  })
  await new Promise(resolve => first.child.once('exit', resolve))
  // Acks already on the wire still arrive after the signal; what matters is what survives it.
  t.ok(ackedBeforeKill.length >= 1, `killed after ${ackedBeforeKill.length} ack(s) of ${BATCHES}`)

  const second = await startHubProcess(dataDir)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const acks = new Map<number, Ack>()
  await new Promise<void>(resolve => {
    void sendAll(second.mqttUrl, chain, ack => {
      acks.set(ack.headSeq, ack)
      if (acks.size === BATCHES) resolve()
    })
  })
  for (const before of ackedBeforeKill) {
    t.ok(acks.get(before.headSeq)!.entries.every(e => e.outcome === AckOutcome.Duplicate), `batch ${before.headSeq} was kept`)
  }
  const outcomes = [...acks.values()].flatMap(ack => ack.entries.map(e => e.outcome))
  t.ok(outcomes.every(o => o === AckOutcome.Settled || o === AckOutcome.Duplicate), 'nothing refused')

  const rest = await new Rest(second.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const owner = await new Rest(second.httpUrl).as('kill@shop.example', 'owner password 1')
  t.equal((await owner.ok('GET', '/accounts')).accounts[0].balanceMinor, expected_minor, 'every payment settled exactly once')
  t.equal((await rest.ok('GET', '/ledger/verify')).ok, true)
})
