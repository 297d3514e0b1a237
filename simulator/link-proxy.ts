// A TCP relay between a terminal and its broker that the simulator (or a test) can cut and
// restore: the terminal's link goes down the way a network does (connections drop, new ones are refused).

import { createServer, connect, type Server, type Socket } from 'node:net'

export class LinkProxy {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  port = 0

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  static forUrl(url: string): LinkProxy {
    const target = new URL(url)
    return new LinkProxy(target.hostname, Number(target.port))
  }

  /** Whether the relay accepts connections now. */
  get isUp(): boolean {
    return this.server !== undefined
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  /** Starts relaying (on the same port as before, once one was chosen). */
  async up(): Promise<void> {
    if (this.server !== undefined) return
    const server = createServer(client => {
      const upstream = connect(this.targetPort, this.targetHost)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('close', () => this.sockets.delete(socket))
        socket.on('error', () => socket.destroy())
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (address !== null && typeof address === 'object') this.port = address.port
    this.server = server
  }

  /** Drops every connection and refuses new ones. */
  async down(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()))
  }
}
