// What `payall-hub`'s main() printed, captured: a test reads stdout and stderr as text, and decides what happens while
// a started hub runs (`whileRunning` sees what was printed by then; the hub stops when it returns).

import type { CliIo } from '../../../hub/cli'

export interface CapturedIo extends CliIo {
  out: string
  err: string
}

export function capturedIo(whileRunning: (out: string) => Promise<void> = async () => {}): CapturedIo {
  const io: CapturedIo = {
    out: '',
    err: '',
    stdout: { write: (text: string) => (io.out += text) },
    stderr: { write: (text: string) => (io.err += text) },
    untilStopRequested: async () => {
      await whileRunning(io.out)
      return 'SIGTERM'
    },
  }
  return io
}
