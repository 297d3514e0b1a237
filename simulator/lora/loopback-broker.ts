// A plain aedes broker on a loopback port, for a simulated LoRaWAN network server: no PayAll ACL,
// since a network server's broker is not the hub's (ChirpStack and TTS bring their own).

import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface LoopbackBroker {
  readonly url: string
  close(): Promise<void>
}

export async function startLoopbackBroker(): Promise<LoopbackBroker> {
  const { Aedes } = await import('aedes')
  const aedes = await Aedes.createBroker()
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
    },
  }
}
