// The anchoring subcommands of payall-hub: `deploy-anchor` deploys the Anchor contract and prints its address;
// `verify-proof` checks a transfer's proof off chain and, given an RPC endpoint, on chain.

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isAddress } from 'ethers'
import { fromHex } from '../../protocol/bytes'
import { nodeEd25519 } from '../../protocol/signature/node'
import { publicKeyProblem } from '../../protocol/signature/public-key'
import { errorText } from '../../protocol/errors'
import { hubBaseUrl, hubUrlProblem } from '../../protocol/hub-url'
import { ConfigError, parseConfigFields } from '../config'
import { deployAnchor, isAnchorError } from './chain'
import { ANCHOR_SETTINGS_DEFAULT } from './settings'
import { checkOffChain, checkOnChain, parseProofFile, type ProofCheck } from './verify-proof'

export interface CommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

export const ANCHOR_COMMANDS_HELP = [
  'Anchoring commands:',
  '  payall-hub deploy-anchor [--chain-rpc URL]',
  '      deploy the Anchor contract, owned by PAYALL_CHAIN_KEY, and print its address',
  '  payall-hub verify-proof FILE | --id TRANSFER_ID --hub URL [--rpc URL --address ADDRESS] [--hub-key HEX]',
  '      check a transfer\'s proof off chain and, with an RPC endpoint, against the Anchor contract',
  '',
].join('\n')

const VERIFY_USAGE = `Usage: payall-hub verify-proof FILE | --id TRANSFER_ID --hub URL [options]

Checks a transfer's Merkle proof as GET /transactions/{id}/proof returns it (FILE, or fetched with --id from
the hub at --hub with the access token in PAYALL_ACCESS_TOKEN), without trusting the hub's database:
  off chain   the leaf is the transfer id and the proof links it to the batch root (OpenZeppelin's
              StandardMerkleTree format)
  on chain    the Anchor contract holds that root for the batch, and its verify() accepts the proof
              (needs --rpc or PAYALL_CHAIN_RPC, and --address or PAYALL_ANCHOR_ADDRESS: the address you
              know the operator's contract by, never one taken from the proof)
  --hub-key HEX   also check the hub's Ed25519 signature on the batch
Exit 0 when every check passes, 1 when one fails or the proof cannot be had, 2 for bad usage.

Example: PAYALL_ACCESS_TOKEN=$TOKEN payall-hub verify-proof --id <transfer id> --hub localhost:3001 \\
           --rpc http://127.0.0.1:8545 --address 0x…
`

const DEPLOY_USAGE = `Usage: PAYALL_CHAIN_KEY=0x… payall-hub deploy-anchor [--chain-rpc URL]

Deploys the Anchor contract with the chain key, which owns it (only it may anchor), waits for the receipt
and prints the address to give the hub as PAYALL_ANCHOR_ADDRESS or --anchor-address.
`

const PROOF_FETCH_TIMEOUT_MS = 30_000
const PROOF_FILE_BYTES_MAX = 64 * 1024

export async function deployAnchorCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(DEPLOY_USAGE)
    return 0
  }
  let rpcUrl: string | undefined
  let privateKey: string | undefined
  try {
    // Only these two: there is no contract address yet, and the hub's other options play no part here.
    ({ chainRpcUrl: rpcUrl, chainKey: privateKey } = parseConfigFields(argv, env, ['chainRpcUrl', 'chainKey']))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr.write(`payall-hub deploy-anchor: ${errorText(error)}\n`)
    return 2
  }
  if (rpcUrl === undefined || privateKey === undefined) {
    io.stderr.write(`payall-hub deploy-anchor: needs ${rpcUrl === undefined ? '--chain-rpc (or PAYALL_CHAIN_RPC)' : 'PAYALL_CHAIN_KEY'}\n${DEPLOY_USAGE}`)
    return 2
  }
  try {
    const deployment = await deployAnchor({ rpcUrl, privateKey, rpcTimeout_ms: ANCHOR_SETTINGS_DEFAULT.rpcTimeout_ms })
    io.stdout.write([
      'Deployed the Anchor contract',
      `  address   ${deployment.address}`,
      `  chain id  ${deployment.chainId}`,
      `  owner     ${deployment.owner} (the PAYALL_CHAIN_KEY account)`,
      `  tx        ${deployment.txHash}`,
      `Give it to the hub: PAYALL_ANCHOR_ADDRESS=${deployment.address}`,
      '',
    ].join('\n'))
    return 0
  } catch (error) {
    io.stderr.write(`payall-hub deploy-anchor: ${isAnchorError(error) ? errorText(error) : (error as Error).message.split('\n')[0]}\n`)
    return 1
  }
}

export async function verifyProofCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        id: { type: 'string' }, hub: { type: 'string' }, rpc: { type: 'string' }, address: { type: 'string' },
        'hub-key': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    io.stderr.write(`payall-hub verify-proof: ${(error as Error).message}\n${VERIFY_USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    io.stdout.write(VERIFY_USAGE)
    return 0
  }
  const usage = (message: string): number => {
    io.stderr.write(`payall-hub verify-proof: ${message}\n${VERIFY_USAGE}`)
    return 2
  }
  const source = proofSource(positionals, values, env)
  if (typeof source === 'string') return usage(source)
  const rpcUrl = values.rpc ?? nonEmpty(env.PAYALL_CHAIN_RPC)
  const address = values.address ?? nonEmpty(env.PAYALL_ANCHOR_ADDRESS)
  if (address !== undefined && !isAddress(address)) return usage(`not an address: ${address}`)
  if (values['hub-key'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['hub-key'])) return usage('--hub-key is 64 hex digits')
  // A small-order key would make a forged batch signature check out.
  const hubKeyProblem = values['hub-key'] === undefined ? undefined : publicKeyProblem(fromHex(values['hub-key']))
  if (hubKeyProblem !== undefined) return usage(`--hub-key is not an Ed25519 public key: ${hubKeyProblem}`)

  let json: unknown
  try {
    json = source.kind === 'file' ? JSON.parse(readProofFile(source.path)) : await fetchProof(source.hubUrl, source.transferId, source.accessToken)
  } catch (error) {
    io.stderr.write(`payall-hub verify-proof: cannot read the proof: ${errorText(error)}\n`)
    return 1
  }
  const file = parseProofFile(json)
  if (typeof file === 'string') {
    io.stderr.write(`payall-hub verify-proof: not a proof: ${file}\n`)
    return 1
  }

  const hubKey = values['hub-key']
  const checks: ProofCheck[] = checkOffChain(file, hubKey === undefined ? undefined : { publicKey: fromHex(hubKey), ed25519: nodeEd25519 })
  let onChain = 'not checked on chain: give --rpc and --address (or PAYALL_CHAIN_RPC and PAYALL_ANCHOR_ADDRESS)'
  if (rpcUrl !== undefined && address !== undefined) {
    try {
      checks.push(...await checkOnChain(file, rpcUrl, address, ANCHOR_SETTINGS_DEFAULT.rpcTimeout_ms))
      onChain = ''
    } catch (error) {
      checks.push({ ok: false, what: `reach the chain: ${(error as Error).message.split('\n')[0]}` })
    }
  }
  for (const check of checks) io.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}\n`)
  if (onChain !== '') io.stdout.write(`      ${onChain}\n`)
  const verified = checks.every(check => check.ok)
  const scope = onChain === '' ? '' : ' (off chain only)'
  io.stdout.write(verified ? `verified${scope}: transfer ${file.transferId} is in batch ${file.batch.batchId}\n` : 'NOT verified\n')
  return verified ? 0 : 1
}

type ProofSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'hub'; readonly hubUrl: string; readonly transferId: string; readonly accessToken: string }

/** Where the proof comes from, or what is wrong with the arguments that name it. */
function proofSource(
  positionals: readonly string[], values: { id?: string | undefined; hub?: string | undefined }, env: NodeJS.ProcessEnv,
): ProofSource | string {
  if (positionals.length === 0 && values.id === undefined) return 'give the proof: a FILE, or --id TRANSFER_ID with --hub URL'
  if (positionals.length > 0 && values.id !== undefined) return 'give one FILE or --id, not both'
  if (positionals.length > 1) return `give one FILE, got ${positionals.length}`
  if (values.id === undefined) return { kind: 'file', path: positionals[0]! }
  if (values.hub === undefined) return '--id needs --hub URL'
  const hubUrl = hubBaseUrl(values.hub)
  if (hubUrl === undefined) return `--hub ${hubUrlProblem(values.hub)}`
  const accessToken = nonEmpty(env.PAYALL_ACCESS_TOKEN)
  if (accessToken === undefined) return '--id needs an access token in PAYALL_ACCESS_TOKEN (the token POST /users/login answers)'
  return { kind: 'hub', hubUrl, transferId: values.id, accessToken }
}

function readProofFile(path: string): string {
  const bytes = readFileSync(path)
  if (bytes.length > PROOF_FILE_BYTES_MAX) throw new Error(`${path} is over ${PROOF_FILE_BYTES_MAX} bytes; a proof is under 2 KiB`)
  return bytes.toString('utf8')
}

async function fetchProof(hubUrl: string, transferId: string, token: string): Promise<unknown> {
  const url = new URL(`/transactions/${encodeURIComponent(transferId)}/proof`, hubUrl)
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(PROOF_FETCH_TIMEOUT_MS),
  })
  const body = await response.json() as { error?: { code?: string; message?: string } }
  if (!response.ok) {
    const hint = response.status === 401 ? ' (PAYALL_ACCESS_TOKEN is not an access token the hub takes: expired? log in again)' : ''
    throw new Error(`the hub answered ${response.status} ${body.error?.code ?? ''}: ${body.error?.message ?? ''}${hint}`)
  }
  return body
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text
}
