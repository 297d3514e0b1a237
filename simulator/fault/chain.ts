// The chain a fault run anchors on: a real anvil with the Anchor contract, and a loopback HTTP relay in
// front of it through which the hub speaks JSON-RPC. The relay is where the chain faults happen: cut, it
// resets every connection (the RPC gone); armed, it forwards the hub's next eth_sendRawTransaction to
// the node and has the hub killed before the answer goes back (the hub dies mid-anchor, its transaction
// out). The checks after the run read the node directly, never through the relay.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { deployAnchor } from '../../hub/anchor/chain'
import { systemClock } from '../../protocol/clock'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../anvil'
import type { ChainUnderCheck } from '../fleet/anchors'
import { MEMPOOL_PAYMENTS, type ChainFault } from './chain-plan'

/** The hub seals a batch once its oldest transfer has waited this long, and looks this often: several batches a run. */
const BATCH_AGE_MS = 1_000
const TICK_MS = 250
/** Blocks (the anchoring one included) before a batch counts as anchored: more than one, so a batch waits for the next. */
const CONFIRMATIONS = 2
const RPC_TIMEOUT_MS = 10_000
/** How long the end of the payments waits for a kill still armed: the hub's next anchor, after its backoff from a cut chain. */
const KILL_WAIT_MS = 15_000
/** A JSON-RPC request larger than this is no call of the hub's: its connection is reset. */
const BODY_READ_MAX_BYTES = 1 << 20

/** What the chain faults tell the driver. */
export interface ChainEvents {
  /** The armed kill is due: kill the hub now; false when it could not be (already restarting), and the kill stays armed. */
  killHub(): boolean
  injected(kind: 'chain-down' | 'hub-kill-anchor', detail: string): void
  noted(kind: 'chain-down' | 'hub-kill-anchor', detail: string): void
}

export class ChainFaults {
  private downUntil: number | undefined
  private armed: { readonly mempool: boolean } | undefined
  /** Once a kill stopped the node's mining: the payment from which it mines again (set once the hub serves again). */
  private miningStopped: { untilPayment: number | undefined } | undefined
  private payment = 0
  /** Told when the armed kill lands, while end() waits for it. */
  private killed: (() => void) | undefined

  private constructor(
    private readonly anvil: Anvil,
    private readonly relay: RpcRelay,
    private readonly deployed: Pick<ChainUnderCheck, 'contractAddress' | 'senderAddress' | 'senderNonceAtStart'>,
    private readonly faults: readonly ChainFault[],
    private readonly events: ChainEvents,
  ) {
    relay.onSendRawTransaction = () => this.sending()
    relay.onForwarded = () => this.killNow()
  }

  /** Starts anvil, deploys the Anchor with its first key, and opens the relay. */
  static async start(faults: readonly ChainFault[], events: ChainEvents): Promise<ChainFaults> {
    const anvil = await startAnvil()
    try {
      const { address, owner } = await deployAnchor({ rpcUrl: anvil.rpcUrl, privateKey: ANVIL_KEYS[0], rpcTimeout_ms: RPC_TIMEOUT_MS })
      const nonce = Number(await anvil.rpc('eth_getTransactionCount', [owner, 'latest']))
      const relay = await RpcRelay.start(anvil.rpcUrl)
      return new ChainFaults(anvil, relay, { contractAddress: address, senderAddress: owner, senderNonceAtStart: nonce }, faults, events)
    } catch (error) {
      await anvil.stop()
      throw error
    }
  }

  /** The hub's chain settings: the relay as its RPC endpoint, batches sealed every second or so. */
  hubEnv(): Record<string, string> {
    return {
      PAYALL_CHAIN_RPC: this.relay.url,
      PAYALL_CHAIN_KEY: ANVIL_KEYS[0],
      PAYALL_ANCHOR_ADDRESS: this.deployed.contractAddress,
      PAYALL_ANCHOR_BATCH_AGE_MS: String(BATCH_AGE_MS),
      PAYALL_ANCHOR_TICK_MS: String(TICK_MS),
      PAYALL_ANCHOR_CONFIRMATIONS: String(CONFIRMATIONS),
    }
  }

  /** Before payment `index` (the hub serves): a cut chain comes back or goes, a kill is armed, a stopped node mines again. */
  async beforePayment(index: number): Promise<void> {
    this.payment = index
    if (this.downUntil !== undefined && index >= this.downUntil) this.restore('before the payment')
    if (this.miningStopped?.untilPayment !== undefined && index >= this.miningStopped.untilPayment) await this.mineAgain('before the payment')
    for (const fault of this.faults) {
      if (fault.payment !== index) continue
      if (fault.kind === 'chain-down') this.cut(fault.payments)
      else this.armed = { mempool: fault.mempool }
    }
  }

  /** The hub serves (told before each payment): a node a kill stopped mines again MEMPOOL_PAYMENTS payments from now. */
  hubServes(): void {
    if (this.miningStopped !== undefined && this.miningStopped.untilPayment === undefined) {
      this.miningStopped.untilPayment = this.payment + MEMPOOL_PAYMENTS
    }
  }

  /**
   * The faults stop: the chain is back; a kill still armed (the payments outran the hub's batches) is
   * waited for, boundedly, as the hub anchors what it holds; then the hub serves and the node mines.
   */
  async end(hubUp: () => Promise<void>): Promise<void> {
    this.restore('as the payments end')
    if (this.armed !== undefined) {
      await new Promise<void>(resolve => {
        const cancel = systemClock.setTimer(resolve, KILL_WAIT_MS)
        this.killed = () => {
          cancel()
          resolve()
        }
      })
      this.killed = undefined
      this.armed = undefined
    }
    await hubUp()
    await this.mineAgain('as the payments end')
  }

  /** Where the checks read the chain: the node itself. */
  underCheck(): ChainUnderCheck {
    return { rpcUrl: this.anvil.rpcUrl, ...this.deployed, mine: () => this.anvil.mine() }
  }

  async stop(): Promise<void> {
    await this.relay.close()
    await this.anvil.stop()
  }

  private cut(payments: number): void {
    if (this.downUntil !== undefined) return
    this.downUntil = this.payment + payments
    this.relay.down()
    this.events.injected('chain-down', `the chain RPC is gone (every connection reset) for ${payments} payments`)
  }

  private restore(when: string): void {
    if (this.downUntil === undefined) return
    this.downUntil = undefined
    this.relay.up()
    this.events.noted('chain-down', `the chain RPC is back, ${when}`)
  }

  private async mineAgain(when: string): Promise<void> {
    if (this.miningStopped === undefined) return
    this.miningStopped = undefined
    await this.anvil.rpc('evm_setAutomine', [true])
    await this.anvil.mine()
    this.events.noted('hub-kill-anchor', `the node mines again, ${when}`)
  }

  /** Called by the relay before it forwards an eth_sendRawTransaction; what to do once it has. */
  private async sending(): Promise<'answer' | 'kill'> {
    const armed = this.armed
    if (armed === undefined) return 'answer'
    if (armed.mempool && this.miningStopped === undefined) {
      await this.anvil.rpc('evm_setAutomine', [false])
      this.miningStopped = { untilPayment: undefined }
    }
    return 'kill'
  }

  /** Once the transaction is forwarded: the kill itself, when one is armed and the hub can be killed. */
  private killNow(): boolean {
    const armed = this.armed
    if (armed === undefined || !this.events.killHub()) return false
    this.armed = undefined
    this.killed?.()
    this.events.injected('hub-kill-anchor', `the hub is killed (SIGKILL) once its anchoring transaction reached the node, before it read the answer; `
      + (armed.mempool ? `the node mines nothing until ${MEMPOOL_PAYMENTS} payments after the restart` : 'the node mined it at once'))
    return true
  }
}

/**
 * An HTTP relay to a JSON-RPC endpoint that can be cut (connections taken and reset at once, the port
 * kept) and that asks before it forwards an eth_sendRawTransaction whether to answer it or to kill its
 * sender once it is forwarded (then the connection is reset instead of answered).
 */
class RpcRelay {
  private readonly sockets = new Set<Socket>()
  private isDown = false
  onSendRawTransaction: () => Promise<'answer' | 'kill'> = async () => 'answer'
  onForwarded: () => boolean = () => false

  private constructor(private readonly server: Server, readonly url: string, private readonly target: string) {}

  static async start(target: string): Promise<RpcRelay> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const relay = new RpcRelay(server, `http://127.0.0.1:${port}`, target)
    server.on('connection', (socket: Socket) => relay.accepted(socket))
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      relay.relay(request, response).catch(() => response.socket?.destroy())
    })
    return relay
  }

  down(): void {
    this.isDown = true
    for (const socket of this.sockets) socket.destroy()
  }

  up(): void {
    this.isDown = false
  }

  async close(): Promise<void> {
    this.down()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }

  private accepted(socket: Socket): void {
    if (this.isDown) {
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  private async relay(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request)
    const sends = isSendRawTransaction(body)
    const then = sends ? await this.onSendRawTransaction() : 'answer'
    if (this.isDown) {
      request.socket.destroy()
      return
    }
    const answer = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const text = await answer.text()
    if (then === 'kill' && this.onForwarded()) {
      request.socket.destroy()
      return
    }
    response.writeHead(answer.status, { 'content-type': 'application/json' })
    response.end(text)
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > BODY_READ_MAX_BYTES) throw new RangeError('a JSON-RPC request too large to relay')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** Whether a JSON-RPC body (one call, or a batch) sends a signed transaction. */
function isSendRawTransaction(body: Buffer): boolean {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return false
  }
  const calls = Array.isArray(parsed) ? parsed : [parsed]
  return calls.some(call => typeof call === 'object' && call !== null && (call as { method?: unknown }).method === 'eth_sendRawTransaction')
}
