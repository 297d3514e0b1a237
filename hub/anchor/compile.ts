// Compiles contracts/Anchor.sol with the solc npm package into contracts/Anchor.json, the artifact the hub
// deploys and calls. Run `node dist/hub/anchor/compile.js` after changing the contract; a test keeps them in step.

import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export const CONTRACT_SOURCE_PATH = 'contracts/Anchor.sol'
export const CONTRACT_ARTIFACT_PATH = 'contracts/Anchor.json'
const CONTRACT_NAME = 'Anchor'
/** Shanghai (PUSH0) runs on every EVM chain worth anchoring on; later opcodes would narrow the choice for nothing. */
const EVM_VERSION = 'shanghai'
const OPTIMIZER_RUNS = 200
const REPOSITORY_DEPTH_MAX = 6

export interface AnchorArtifact {
  readonly contractName: string
  readonly abi: readonly Record<string, unknown>[]
  /** 0x-prefixed creation code. */
  readonly bytecode: string
  readonly solcVersion: string
  readonly evmVersion: string
  /** SHA-256 (hex) of contracts/Anchor.sol as compiled. */
  readonly sourceSha256: string
}

interface SolcOutput {
  errors?: Array<{ severity: 'error' | 'warning' | 'info'; formattedMessage: string }>
  contracts?: Record<string, Record<string, { abi: Record<string, unknown>[]; evm: { bytecode: { object: string } } }>>
}

interface Solc {
  version(): string
  compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string
}

/** The repository root: the nearest directory above `from` holding contracts/Anchor.sol (from dist/ too). */
export function repositoryRoot(from: string = __dirname): string {
  let directory = from
  for (let depth = 0; depth < REPOSITORY_DEPTH_MAX; depth++) {
    if (existsSync(join(directory, CONTRACT_SOURCE_PATH))) return directory
    directory = dirname(directory)
  }
  throw new Error(`no ${CONTRACT_SOURCE_PATH} within ${REPOSITORY_DEPTH_MAX} directories above ${from}`)
}

export function sourceSha256(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex')
}

/** Compiles the contract; throws with solc's messages on any error. Deterministic for one solc version. */
export function compileAnchor(root: string = repositoryRoot()): AnchorArtifact {
  // solc is a devDependency: loaded here only, so the running hub never needs it.
  const solc = require('solc') as Solc
  const source = readFileSync(join(root, CONTRACT_SOURCE_PATH), 'utf8')
  const input = {
    language: 'Solidity',
    sources: { [CONTRACT_SOURCE_PATH]: { content: source } },
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: path => readImport(root, path) })) as SolcOutput
  const errors = (output.errors ?? []).filter(error => error.severity === 'error')
  if (errors.length > 0) throw new Error(`solc refused ${CONTRACT_SOURCE_PATH}:\n${errors.map(e => e.formattedMessage).join('\n')}`)
  const compiled = output.contracts?.[CONTRACT_SOURCE_PATH]?.[CONTRACT_NAME]
  if (compiled === undefined) throw new Error(`solc produced no ${CONTRACT_NAME} contract`)
  return {
    contractName: CONTRACT_NAME,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    solcVersion: solc.version(),
    evmVersion: EVM_VERSION,
    sourceSha256: sourceSha256(source),
  }
}

/** Imports resolve to installed packages only (@openzeppelin/contracts), never to the network. */
function readImport(root: string, path: string): { contents: string } | { error: string } {
  if (path.includes('..')) return { error: `refusing the import path ${path}` }
  const file = join(root, 'node_modules', path)
  return existsSync(file) ? { contents: readFileSync(file, 'utf8') } : { error: `no ${path} under node_modules` }
}

export function artifactText(artifact: AnchorArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`
}

if (require.main === module) {
  const root = repositoryRoot()
  const artifact = compileAnchor(root)
  writeFileSync(join(root, CONTRACT_ARTIFACT_PATH), artifactText(artifact))
  process.stdout.write(`wrote ${CONTRACT_ARTIFACT_PATH} (${(artifact.bytecode.length - 2) / 2} bytes of creation code, solc ${artifact.solcVersion})\n`)
}
