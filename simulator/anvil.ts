// A real local EVM node for tests and the bench: anvil (from @foundry-rs/anvil) on a free loopback port,
// ready once it says it listens, killed at teardown. Optionally without automatic mining, or with a state file
// that survives a restart (the chain comes back, its mempool does not).

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'

/** anvil's default accounts (its well-known test mnemonic): never hold real money with these. */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
] as const

const STARTUP_TIMEOUT_MS = 30_000

export interface AnvilOptions {
  /** Mine only on evm_mine, so a transaction can sit in the mempool. */
  readonly noMining?: boolean
  /** Load the chain from this file if it exists, and dump it there on exit. */
  readonly statePath?: string
  /** Reuse a port (for a node that comes back where it was). */
  readonly port?: number
}

export interface Anvil {
  readonly rpcUrl: string
  readonly port: number
  /** One JSON-RPC call. */
  rpc(method: string, params?: unknown[]): Promise<unknown>
  mine(blocks?: number): Promise<void>
  /** SIGTERM, and resolves once the process has exited (and dumped its state, if it keeps one). */
  stop(): Promise<void>
}

/**
 * The platform binary itself (its npm wrapper would stand between our signals and the node),
 * found through module resolution, so it works from the sources and from dist/ alike.
 */
function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}`
  try {
    const direct = join(dirname(require.resolve(`${platformPackage}/package.json`)), 'bin', 'anvil')
    if (existsSync(direct)) return direct
  } catch {
    // not installed for this platform: fall back to the npm wrapper
  }
  return join(dirname(require.resolve('@foundry-rs/anvil/package.json')), '..', '..', '.bin', 'anvil')
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const port = options.port ?? await freePort()
  const args = ['--host', '127.0.0.1', '--port', String(port)]
  if (options.noMining === true) args.push('--no-mining')
  if (options.statePath !== undefined) args.push('--state', options.statePath)
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  // A test process that dies before its teardown must not leave a node behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  await listening(child)
  const rpcUrl = `http://127.0.0.1:${port}`
  let nextId = 1
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    })
    const body = await response.json() as { result?: unknown; error?: { message: string } }
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
    return body.result
  }
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return {
    rpcUrl,
    port,
    rpc,
    mine: async (blocks = 1) => {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`])
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Resolves when anvil prints that it listens; rejects if it exits first or takes too long. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    // eslint-disable-next-line no-restricted-globals -- the child process's own startup deadline, in the machine's time: no simulated clock is involved
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`anvil did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`))
    }, STARTUP_TIMEOUT_MS)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      if (output.includes('Listening on')) {
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        // Keep draining, so a full pipe never blocks the node.
        child.stdout!.resume()
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`anvil exited (${code ?? signal}) before listening:\n${output}`))
    })
    child.once('error', error => {
      clearTimeout(timer)
      reject(new Error(`anvil could not be started: ${error.message}`))
    })
  })
}
