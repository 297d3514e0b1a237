// The CPU other processes have used, read from /proc/PID/stat (Linux): the benches that run hubs, a broker or
// PostgreSQL as programs of their own say which of them the cores went to.

import { readdirSync, readFileSync } from 'node:fs'

/** /proc counts CPU time in clock ticks of USER_HZ, which Linux fixes at 100 per second for every architecture it exposes it on. */
const TICK_US = 10_000

interface ProcessStat {
  readonly parent: number
  /** utime + stime: every thread of the process. */
  readonly own_us: number
  /** cutime + cstime: its children that have ended and that it has waited for. */
  readonly reaped_us: number
}

/** undefined once the process has ended. */
function statOf(pid: number): ProcessStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name, in parentheses, may hold spaces or parentheses itself: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // Fields 4 (ppid) and 14 to 17 (utime, stime, cutime, cstime) of proc(5), counted from the state, field 3.
  const [parent, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map(index => Number(fields[index]))
  return { parent: parent!, own_us: (utime! + stime!) * TICK_US, reaped_us: (cutime! + cstime!) * TICK_US }
}

/** The CPU the process has used so far, every thread of it, µs. */
export function processCpu_us(pid: number): number {
  const stat = statOf(pid)
  if (stat === undefined) throw new Error(`no process ${pid} in /proc: the CPU of a program is measured on Linux, while it runs`)
  return stat.own_us
}

/**
 * The CPU the process and all its descendants have used so far, µs: those running now, and those that ended and were
 * waited for (in their parent's cutime and cstime). A PostgreSQL server's backends are the postmaster's children.
 */
export function processTreeCpu_us(root: number): number {
  const stats = new Map<number, ProcessStat>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = statOf(Number(entry))
    if (stat !== undefined) stats.set(Number(entry), stat)
  }
  if (!stats.has(root)) throw new Error(`no process ${root} in /proc: the CPU of a program is measured on Linux, while it runs`)
  const inTree = (pid: number): boolean => {
    // Bounded: a process's ancestors end at 1 (or 0), and the table read holds each once.
    for (let at: number | undefined = pid, steps = 0; at !== undefined && steps <= stats.size; at = stats.get(at)?.parent, steps++) {
      if (at === root) return true
    }
    return false
  }
  let total_us = 0
  for (const [pid, stat] of stats) {
    if (inTree(pid)) total_us += stat.own_us + stat.reaped_us
  }
  return total_us
}
