// What a start-up has opened so far (a port, a server, a database, a connection), closed last
// first when a later step fails, so a failed start leaves nothing open. Here rather than in hub/ or
// terminal/, which never import each other.

/** Closes what was opened, last first; a close that fails does not stop the others. */
export class Closers {
  private readonly closers: Array<() => unknown> = []

  add(close: () => unknown): void {
    this.closers.push(close)
  }

  /** Closes everything added so far, each once; `failed` hears of a close that threw. */
  async closeAll(failed: (error: unknown) => void = () => undefined): Promise<void> {
    const closers = this.closers.splice(0).reverse()
    for (const close of closers) await Promise.resolve().then(close).catch(failed)
  }
}
