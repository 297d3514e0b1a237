// Text written to a stream (or added by hand), and promises of what it will show: a test awaits
// what a person would see at the console instead of waiting on time.

export class Transcript {
  text = ''
  private waiters: Array<() => void> = []
  constructor(stream?: NodeJS.ReadableStream) {
    stream?.on('data', chunk => this.add(String(chunk)))
  }
  add(text: string): void {
    this.text += text
    for (const wake of this.waiters.splice(0)) wake()
  }
  /** Resolves once `pattern` appears after position `from`; returns the position after it. */
  async next(pattern: RegExp, from = 0): Promise<number> {
    for (;;) {
      const match = new RegExp(pattern.source, pattern.flags.replace('g', '') + 'g')
      match.lastIndex = from
      const found = match.exec(this.text)
      if (found !== null) return found.index + found[0].length
      await new Promise<void>(resolve => this.waiters.push(resolve))
    }
  }
}

/**
 * At a simulated counter's console: keys `amount` and Enter, taps the phone once the screen asks
 * for it, and resolves with the position after `approved` on the screen.
 */
export async function keyAndTap(input: NodeJS.WritableStream, screen: Transcript, amount: string, approved: RegExp, from = 0): Promise<number> {
  input.write(`${amount}\r`)
  const asked = await screen.next(/tap your phone/, from)
  input.write('t')
  return screen.next(approved, asked)
}
