// A display for development: each screen written to a stream (a terminal, a log) as a block with
// its kind, in full Unicode, since a console has no ROM to fit.

import type { Writable } from 'node:stream'
import type { Display, Screen } from '../devices'

export function consoleScreenText(screen: Screen): string {
  const width = Math.max(screen.kind.length + 4, ...screen.lines.map(line => line.length + 4))
  const top = `┌─ ${screen.kind} ${'─'.repeat(width - screen.kind.length - 4)}┐`
  const body = screen.lines.map(line => `│ ${line.padEnd(width - 2)}│`)
  return [top, ...body, `└${'─'.repeat(width - 1)}┘`].join('\n') + '\n'
}

export class ConsoleDisplay implements Display {
  constructor(private readonly output: Writable) {}

  show(screen: Screen): void {
    this.output.write(consoleScreenText(screen))
  }
}
