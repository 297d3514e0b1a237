// The hub's view of the Anchor contract on an EVM chain, through ethers v6 over JSON-RPC: read a batch's
// on-chain record, sign an anchor transaction under the fee cap, broadcast it, and follow it to a receipt.

import {
  Contract, ContractFactory, FetchRequest, JsonRpcProvider, Network, Wallet, getAddress, isError, keccak256,
  type EventLog, type Log,
} from 'ethers'
import artifact from '../../contracts/Anchor.json'
import { toHex } from '../../protocol/bytes'
import { CodedError } from '../../protocol/errors'
import type { ChainTarget } from './store'

export const ANCHOR_ABI = artifact.abi
const ANCHOR_BYTECODE = artifact.bytecode

export type AnchorErrorCode =
  /** The RPC endpoint did not answer, timed out, or answered with an error that is not the contract's. */
  | 'CHAIN_UNREACHABLE'
  /** No contract code at the configured address. */
  | 'NO_CONTRACT'
  /** The chain key is not the contract's owner, so its anchors would be refused. */
  | 'NOT_OWNER'
  /** The chain's base fee is above the hub's maxFeePerGas cap: the transaction would not be mined. */
  | 'FEE_ABOVE_CAP'
  /** The contract would use more gas than the hub allows for one anchor. */
  | 'GAS_ABOVE_LIMIT'
  /** The contract refused the anchor in simulation (already anchored, empty batch). */
  | 'ANCHOR_REFUSED'
  /** The node refused the signed transaction. */
  | 'BROADCAST_REFUSED'

export class AnchorError extends CodedError<AnchorErrorCode> {
  override readonly name = 'AnchorError'
}

export function isAnchorError(error: unknown): error is AnchorError {
  return error instanceof AnchorError
}

/** A batch as the contract stores it. */
export interface OnChainBatch {
  /** 0x-prefixed lowercase hex. */
  readonly root: string
  readonly count: number
  readonly blockNumber: number
}

export interface TransactionState {
  /** Undefined while the transaction is not in a block (pending, or unknown to the node). */
  readonly receipt: { readonly succeeded: boolean; readonly blockNumber: number } | undefined
  /** Whether the node knows the transaction at all, mined or pending. */
  readonly known: boolean
}

interface SignedAnchor {
  readonly txHash: string
  readonly rawTransaction: string
}

interface AnchorCall {
  readonly batchId: number
  readonly root: Uint8Array
  readonly count: number
}

/** The chain operations anchoring needs; EthersAnchorChain speaks JSON-RPC, tests may wrap it. */
export interface AnchorChain {
  readonly target: ChainTarget
  /** The contract's record of `batchId` at the latest block; undefined when it holds none. */
  batch(batchId: number): Promise<OnChainBatch | undefined>
  blockNumber(): Promise<number>
  transactionState(txHash: string): Promise<TransactionState>
  /** Transactions of the sender in blocks so far: the lowest nonce not yet spent. */
  confirmedNonce(): Promise<number>
  /** As confirmedNonce, counting the node's pending transactions too. */
  pendingNonce(): Promise<number>
  /** Simulates the anchor (so a refusal costs nothing), prices it under the cap and signs it; sends nothing. */
  signAnchor(call: AnchorCall, nonce: number): Promise<SignedAnchor>
  /** Hands the signed transaction to the node; a node that already has it is not an error. */
  broadcast(rawTransaction: string): Promise<void>
  /** The transaction that anchored `batchId` in block `blockNumber`, from the contract's event. */
  anchoringTxHash(batchId: number, blockNumber: number): Promise<string | undefined>
  close(): void
}

export interface ChainOptions {
  readonly rpcUrl: string
  /** 0x + 64 hex. */
  readonly privateKey: string
  readonly contractAddress: string
  readonly maxFeePerGas_wei: bigint
  readonly gasLimit_max: number
  readonly rpcTimeout_ms: number
}

// An estimate is what the simulation used; the margin covers the state changing before the block.
const GAS_MARGIN_PERCENT = 120n
const WEI_PER_GWEI = 1_000_000_000n

/** Connects, then checks there is a contract at the address and that the chain key owns it. */
export async function connectAnchorChain(options: ChainOptions): Promise<AnchorChain> {
  const provider = await openProvider(options.rpcUrl, options.rpcTimeout_ms)
  try {
    const chain = new EthersAnchorChain(provider, options)
    await chain.checkContract()
    return chain
  } catch (error) {
    provider.destroy()
    throw error
  }
}

/** A provider pinned to the chain id the endpoint reports now, asked once with a bounded wait. */
export async function openProvider(rpcUrl: string, rpcTimeout_ms: number): Promise<JsonRpcProvider> {
  if (!/^https?:\/\//i.test(rpcUrl)) {
    throw new AnchorError('CHAIN_UNREACHABLE', 'anchoring speaks JSON-RPC over http:// or https:// only')
  }
  const connection = new FetchRequest(rpcUrl)
  connection.timeout = rpcTimeout_ms
  // Asked here rather than by ethers' own network detection, which retries forever in the background
  // when the node is down; a pinned network never asks again.
  const probe = connection.clone()
  probe.body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }
  probe.setHeader('content-type', 'application/json')
  let chainId: bigint
  try {
    const response = await probe.send()
    response.assertOk()
    const body = response.bodyJson as { result?: unknown }
    if (typeof body.result !== 'string') throw new Error('eth_chainId returned no chain id')
    chainId = BigInt(body.result)
  } catch (error) {
    throw new AnchorError('CHAIN_UNREACHABLE', `no chain id from the RPC endpoint: ${describe(error)}`, { cause: error })
  }
  const network = Network.from(chainId)
  return new JsonRpcProvider(connection, network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1 })
}

class EthersAnchorChain implements AnchorChain {
  readonly target: ChainTarget
  private readonly wallet: Wallet
  private readonly contract: Contract

  constructor(private readonly provider: JsonRpcProvider, private readonly options: ChainOptions) {
    this.wallet = new Wallet(options.privateKey, provider)
    const contractAddress = getAddress(options.contractAddress)
    this.contract = new Contract(contractAddress, ANCHOR_ABI, provider)
    const chainId = Number(provider._network.chainId)
    this.target = { chainId, contractAddress, senderAddress: this.wallet.address }
  }

  async checkContract(): Promise<void> {
    const code = await rpc('read the contract code', () => this.provider.getCode(this.target.contractAddress))
    if (code === '0x') {
      throw new AnchorError('NO_CONTRACT', `no contract at ${this.target.contractAddress} on chain ${this.target.chainId}`)
    }
    const owner = await rpc('read the contract owner', () => this.contract.getFunction('owner').staticCall()) as string
    if (getAddress(owner) !== this.target.senderAddress) {
      throw new AnchorError('NOT_OWNER',
        `the chain key ${this.target.senderAddress} does not own the Anchor at ${this.target.contractAddress} (owner ${owner})`)
    }
  }

  async batch(batchId: number): Promise<OnChainBatch | undefined> {
    const record = await rpc('read a batch', () => this.contract.getFunction('batches').staticCall(batchId)) as
      [string, bigint, bigint, bigint]
    const [root, count, blockNumber] = record
    if (BigInt(root) === 0n) return undefined
    return { root: root.toLowerCase(), count: Number(count), blockNumber: Number(blockNumber) }
  }

  blockNumber(): Promise<number> {
    return rpc('read the block number', () => this.provider.getBlockNumber())
  }

  async transactionState(txHash: string): Promise<TransactionState> {
    const receipt = await rpc('read a receipt', () => this.provider.getTransactionReceipt(txHash))
    if (receipt !== null) return { receipt: { succeeded: receipt.status === 1, blockNumber: receipt.blockNumber }, known: true }
    const transaction = await rpc('look a transaction up', () => this.provider.getTransaction(txHash))
    return { receipt: undefined, known: transaction !== null }
  }

  confirmedNonce(): Promise<number> {
    return rpc('read the nonce', () => this.provider.getTransactionCount(this.target.senderAddress, 'latest'))
  }

  pendingNonce(): Promise<number> {
    return rpc('read the pending nonce', () => this.provider.getTransactionCount(this.target.senderAddress, 'pending'))
  }

  async signAnchor(call: AnchorCall, nonce: number): Promise<SignedAnchor> {
    const args = [call.batchId, `0x${toHex(call.root)}`, call.count] as const
    const anchor = this.contract.getFunction('anchor')
    let gasEstimate: bigint
    try {
      gasEstimate = await anchor.estimateGas(...args, { from: this.target.senderAddress })
    } catch (error) {
      if (isError(error, 'CALL_EXCEPTION')) {
        const reason = error.revert?.name ?? this.revertName(error.data) ?? error.reason ?? 'no reason given'
        const code = reason === 'OwnableUnauthorizedAccount' ? 'NOT_OWNER' : 'ANCHOR_REFUSED'
        throw new AnchorError(code, `the contract refuses to anchor batch ${call.batchId}: ${reason}`, { cause: error })
      }
      throw unreachable('estimate the gas of an anchor', error)
    }
    const gasLimit = (gasEstimate * GAS_MARGIN_PERCENT) / 100n
    if (gasLimit > BigInt(this.options.gasLimit_max)) {
      throw new AnchorError('GAS_ABOVE_LIMIT', `an anchor would take ${gasLimit} gas, above the limit of ${this.options.gasLimit_max}`)
    }
    const fees = await this.fees()
    const rawTransaction = await this.wallet.signTransaction({
      type: 2,
      chainId: this.target.chainId,
      nonce,
      to: this.target.contractAddress,
      data: this.contract.interface.encodeFunctionData('anchor', args),
      value: 0n,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    })
    return { txHash: keccak256(rawTransaction), rawTransaction }
  }

  async broadcast(rawTransaction: string): Promise<void> {
    try {
      await this.provider.send('eth_sendRawTransaction', [rawTransaction])
    } catch (error) {
      if (/already known|already imported|known transaction/i.test(describe(error))) return
      // Its nonce is spent: by this very transaction (a resend of one already mined) or by another. The next
      // look at the chain tells which, and gives the batch a new nonce if need be.
      if (isError(error, 'NONCE_EXPIRED')) return
      if (isError(error, 'REPLACEMENT_UNDERPRICED') || isError(error, 'INSUFFICIENT_FUNDS')) {
        throw new AnchorError('BROADCAST_REFUSED', `the node refused the anchor transaction: ${error.shortMessage}`, { cause: error })
      }
      throw unreachable('broadcast an anchor', error)
    }
  }

  async anchoringTxHash(batchId: number, blockNumber: number): Promise<string | undefined> {
    const events = await rpc('read the Anchored event', () =>
      this.contract.queryFilter(this.contract.filters.Anchored!(batchId), blockNumber, blockNumber)) as Array<EventLog | Log>
    return events[0]?.transactionHash
  }

  close(): void {
    this.provider.destroy()
  }

  /** The contract's custom error in revert data (estimateGas leaves it undecoded). */
  private revertName(data: string | null | undefined): string | undefined {
    if (typeof data !== 'string' || data.length < 10) return undefined
    try {
      return this.contract.interface.parseError(data)?.name
    } catch {
      return undefined
    }
  }

  /** EIP-1559 fees: twice the base fee plus the tip, but never above the cap; refused when the base fee alone is above it. */
  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const [block, tip] = await Promise.all([
      rpc('read the latest block', () => this.provider.getBlock('latest')),
      rpc('read the priority fee', async () => {
        try {
          return BigInt(await this.provider.send('eth_maxPriorityFeePerGas', []) as string)
        } catch (error) {
          if (isError(error, 'UNSUPPORTED_OPERATION')) return WEI_PER_GWEI
          throw error
        }
      }),
    ])
    const cap = this.options.maxFeePerGas_wei
    const baseFee = block?.baseFeePerGas ?? 0n
    if (baseFee >= cap) {
      throw new AnchorError('FEE_ABOVE_CAP', `the base fee is ${baseFee} wei per gas, at or above the cap of ${cap}`)
    }
    const maxFeePerGas = minBigint(baseFee * 2n + tip, cap)
    return { maxFeePerGas, maxPriorityFeePerGas: minBigint(tip, maxFeePerGas - baseFee) }
  }
}

export interface Deployment {
  readonly address: string
  readonly txHash: string
  readonly chainId: number
  readonly owner: string
}

/** Deploys a new Anchor owned by `owner` (by default the deploying key) and waits for its receipt. */
export async function deployAnchor(options: {
  rpcUrl: string
  privateKey: string
  owner?: string
  rpcTimeout_ms: number
}): Promise<Deployment> {
  const provider = await openProvider(options.rpcUrl, options.rpcTimeout_ms)
  try {
    const wallet = new Wallet(options.privateKey, provider)
    const owner = getAddress(options.owner ?? wallet.address)
    const factory = new ContractFactory(ANCHOR_ABI, ANCHOR_BYTECODE, wallet)
    const contract = await factory.deploy(owner)
    const transaction = contract.deploymentTransaction()!
    await contract.waitForDeployment()
    return {
      address: await contract.getAddress(),
      txHash: transaction.hash,
      chainId: Number(provider._network.chainId),
      owner,
    }
  } finally {
    provider.destroy()
  }
}

async function rpc<Result>(what: string, call: () => Promise<Result>): Promise<Result> {
  try {
    return await call()
  } catch (error) {
    throw unreachable(what, error)
  }
}

function unreachable(what: string, error: unknown): AnchorError {
  return new AnchorError('CHAIN_UNREACHABLE', `could not ${what}: ${describe(error)}`, { cause: error })
}

/** ethers' short message, without the request it echoes (whose URL may carry an API key). */
function describe(error: unknown): string {
  if (isError(error, 'UNKNOWN_ERROR')) {
    const inner = (error as { error?: { message?: unknown } }).error?.message
    if (typeof inner === 'string') return inner
  }
  const shortMessage = (error as { shortMessage?: unknown }).shortMessage
  if (typeof shortMessage === 'string') return shortMessage
  return error instanceof Error ? error.message.split('\n')[0]! : String(error)
}

function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}
