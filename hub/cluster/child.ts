// A program a cluster runs (Mosquitto, a hub): its output kept in a log file, the lines it prints handed to the
// cluster as they come, its end as a promise. It runs in a process group of its own, so a Ctrl-C at the terminal
// reaches only the cluster, which stops the programs in its own order.

import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'

/** The longest line kept whole; the rest of a longer one is dropped (a hub's log lines are far shorter). */
const LINE_CHARS_MAX = 64 * 1024
/** What the last lines of output keep, for an error that says why a program ended. */
const TAIL_CHARS_MAX = 2 * 1024

export interface ChildEnd {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Child {
  readonly pid: number
  readonly logFile: string
  /** Resolves once it has exited and its output is all in the log file. */
  readonly ended: Promise<ChildEnd>
  /** Set once it has ended. */
  end(): ChildEnd | undefined
  kill(signal: NodeJS.Signals): void
  /** The end of its output (both streams), for an error message. */
  tail(): string
}

export function startChild(
  command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; logFile: string; onLine?: (line: string) => void },
): Child {
  const log = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 })
  const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let tail = ''
  let partial = ''
  const take = (chunk: Buffer, scan: boolean): void => {
    log.write(chunk)
    const text = chunk.toString('utf8')
    tail = (tail + text).slice(-TAIL_CHARS_MAX)
    if (!scan || options.onLine === undefined) return
    const lines = (partial + text).split('\n')
    partial = lines.pop()!.slice(0, LINE_CHARS_MAX)
    for (const line of lines) options.onLine(line)
  }
  child.stdout!.on('data', (chunk: Buffer) => take(chunk, true))
  child.stderr!.on('data', (chunk: Buffer) => take(chunk, false))
  let end: ChildEnd | undefined
  const ended = new Promise<ChildEnd>((resolve) => {
    child.once('error', (error) => {
      log.write(`${command}: ${error.message}\n`)
      tail += `${error.message}\n`
    })
    child.once('close', (code, signal) => {
      end = { code, signal }
      log.end(() => resolve({ code, signal }))
    })
  })
  return {
    pid: child.pid ?? -1,
    logFile: options.logFile,
    ended,
    end: () => end,
    kill: (signal) => signalChild(child, signal),
    tail: () => tail,
  }
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill(signal)
}

/** How an ended program is named in a message: its exit code, or the signal that ended it. */
export function endText(end: ChildEnd): string {
  return end.signal === null ? `exited with code ${end.code}` : `was ended by ${end.signal}`
}
