// The MQTT broker embedded in the hub: aedes on a TCP server (TLS with a certificate), with the CONNECT check
// (authenticate.ts), the ACL (authorize.ts), a packet size bound, a connection cap, and bounded
// queues and retained messages (bounded-persistence.ts). Nothing a client sends may crash the
// process: every refusal is logged and ends only that client.

import type { EventEmitter } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
// aedes is an ES module: types come in with resolution-mode, the code by a dynamic import.
import type {
  Aedes, AedesOptions, AuthenticateError, Client, PublishPacket, Subscription,
} from 'aedes' with { 'resolution-mode': 'import' }
import {
  CONNACK_SERVER_UNAVAILABLE,
  createConnectAuthenticator,
  type BrokerIdentity,
  type ConnackRefusalCode,
  type ConnectRefusalReason,
  type HubCredentials,
} from './authenticate'
import { mayPublish, maySubscribe } from './authorize'
import {
  BoundedPersistence,
  type PersistenceEvent,
  type PersistenceStats,
  type QueueBounds,
  type QueueStats,
  type RetainedBounds,
} from './bounded-persistence'
import { MqttError, isMqttError, requirePositiveInteger } from './errors'
import type { GatewayPasswordVerifier } from './gateway-password'
import { PacketSizeGuard } from './packet-size-guard'

const PACKET_BYTES_MAX_DEFAULT = 512 * 1024
const CONNECTIONS_MAX_DEFAULT = 10_000
const BROKER_CONNECT_TIMEOUT_MS_DEFAULT = 10_000

export type BrokerEvent =
  | { readonly kind: 'listening'; readonly url: string }
  | {
      readonly kind: 'connect-refused'
      readonly clientId: string
      readonly username: string | undefined
      /** NONCE_NOT_STORED: the password was good but its nonce could not be saved, so it could be replayed after a restart. */
      readonly reason: ConnectRefusalReason | 'LOOKUP_FAILED' | 'NONCE_NOT_STORED'
      readonly returnCode: ConnackRefusalCode
    }
  | { readonly kind: 'connected'; readonly clientId: string; readonly identity: BrokerIdentity }
  | { readonly kind: 'publish-refused'; readonly clientId: string | undefined; readonly topic: string; readonly retain: boolean }
  | { readonly kind: 'subscribe-refused'; readonly clientId: string; readonly filter: string }
  /** A connection ended on an error: a malformed or oversized packet, a refused publish, a socket error. */
  | { readonly kind: 'client-error'; readonly clientId: string | undefined; readonly code: string; readonly message: string }
  /** The connection cap was reached and a new TCP connection was dropped. */
  | { readonly kind: 'connection-dropped'; readonly remoteAddress: string | undefined }
  | { readonly kind: 'broker-error'; readonly message: string }
  | PersistenceEvent

export interface BrokerOptions {
  /** Interface to listen on, e.g. '127.0.0.1'. */
  host: string
  /** 0 picks a free port; RunningBroker.port says which. */
  port: number
  /** PEM certificate (and chain) and key: the broker speaks MQTT over TLS only (mqtts://). */
  tls?: { readonly cert: string; readonly key: string }
  /** The public key of a provisioned gateway, undefined for any other EUI. */
  lookupGatewayKey(eui: string): Promise<Uint8Array | undefined>
  verifier: GatewayPasswordVerifier
  /** The hub's own client; its username may not look like an EUI. */
  hubCredentials: HubCredentials
  log?: (event: BrokerEvent) => void
  packetBytesMax?: number
  /** TCP connections, authenticated or not. */
  connectionsMax?: number
  /** How long a new connection may take to send CONNECT. */
  connectTimeout_ms?: number
  /** Bounds on the messages queued for persistent sessions; QUEUE_BOUNDS_DEFAULT where not given. */
  queueBounds?: Partial<QueueBounds>
  /** Bounds on retained messages; RETAINED_BOUNDS_DEFAULT where not given. */
  retainedBounds?: Partial<RetainedBounds>
  /** Told when a gateway's connection is accepted (online) and when it ends (offline). */
  presence?(eui: string, online: boolean): void | Promise<void>
}

export interface RunningBroker {
  /** `mqtt://host:port`, or `mqtts://host:port` with TLS. */
  readonly url: string
  readonly port: number
  readonly aedes: Aedes
  /** What the queues and retained messages hold now, and what the bounds have dropped. */
  stats(): PersistenceStats
  clientStats(clientId: string): QueueStats
  /** Stops accepting, disconnects every client, closes aedes. Idempotent. */
  close(): Promise<void>
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { packetBytesMax, connectionsMax, connectTimeout_ms } = checkedLimits(options)
  const log = bestEffort(options.log ?? noop)

  // Keyed by aedes' Client object, which lives exactly as long as one connection.
  const identities = new WeakMap<Client, BrokerIdentity>()

  const persistence = new BoundedPersistence({ queue: options.queueBounds, retained: options.retainedBounds, onEvent: log })
  // A message as large as a packet may be must fit a queue and the retained store on its own.
  const { bytesPerGateway_max, hubBytes_max } = persistence.queueBounds
  if (Math.min(bytesPerGateway_max, hubBytes_max, persistence.retainedBounds.bytes_max) < packetBytesMax) {
    throw new MqttError('INVALID_OPTIONS', `queue and retained byte bounds must be at least packetBytesMax (${packetBytesMax})`)
  }

  const { Aedes } = await import('aedes')
  const aedes = new Aedes({
    connectTimeout: connectTimeout_ms,
    persistence,
    ...accessHooks(options, log, identities),
  })

  logErrors(aedes, log)
  if (options.presence !== undefined) trackPresence(aedes, identities, options.presence, log)
  await aedes.listen()

  const sockets = new Set<Socket>()
  const server = tcpServer(aedes, { sockets, packetBytesMax, connectionsMax, connectTimeout_ms, tls: options.tls }, log)
  let port: number
  try {
    await listen(server, options.port, options.host)
    port = tcpPortOf(server)
  } catch (error) {
    // A server that did listen is closed too: a failed start leaves no port taken.
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await closeAedes(aedes)
    throw error
  }
  const url = `${options.tls === undefined ? 'mqtt' : 'mqtts'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`
  log({ kind: 'listening', url })

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    aedes,
    stats: () => persistence.stats(),
    clientStats: clientId => persistence.clientStats(clientId),
    close(): Promise<void> {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
        await closeAedes(aedes)
        // aedes closes only clients that completed CONNECT; the rest are cut here.
        for (const socket of sockets) socket.destroy()
        await serverClosed
      })()
      return closing
    },
  }
}

/** A throwing logger must not turn into a crash inside an aedes callback. */
function bestEffort(log: (event: BrokerEvent) => void): (event: BrokerEvent) => void {
  return (event) => {
    try {
      log(event)
    } catch {
      // Logging is best effort.
    }
  }
}

/** aedes' errors, logged: its own and each client's, but for the refusals, which are logged where they are decided. */
function logErrors(aedes: Aedes, log: (event: BrokerEvent) => void): void {
  // aedes emits 'error' when its periodic will sweep fails; unhandled, that would throw. Its
  // typings omit the event, hence the view as a plain EventEmitter.
  const aedesEvents: EventEmitter = aedes
  aedesEvents.on('error', (error: unknown) => log({ kind: 'broker-error', message: describe(error) }))
  const logClientError = (client: Client | undefined, error: Error): void => {
    if (isMqttError(error, 'CONNECT_REFUSED') || isMqttError(error, 'PUBLISH_REFUSED')) return
    log({ kind: 'client-error', clientId: client?.id ?? undefined, code: errorCode(error), message: error.message })
  }
  aedes.on('clientError', logClientError)
  aedes.on('connectionError', logClientError)
}

/**
 * Tells `presence` of each gateway connection accepted and ended. A gateway that reconnects takes its session
 * over: aedes ends the old connection before the new one is ready. Only the end of the connection a gateway
 * holds now counts: aedes also reports the end of a new connection that failed before it was ready, while the
 * gateway's older one lives on.
 */
function trackPresence(
  aedes: Aedes, identities: WeakMap<Client, BrokerIdentity>, presence: (eui: string, online: boolean) => void | Promise<void>,
  log: (event: BrokerEvent) => void,
): void {
  // At most one entry per connected gateway: bounded by the connection cap.
  const current = new Map<string, Client>()
  // Called at once, in the order the connections opened and closed; recorded in that order (the hub's database).
  const tell = (eui: string, online: boolean): void => {
    (async () => presence(eui, online))().catch((error: unknown) => {
      log({ kind: 'broker-error', message: `the presence of ${eui} was not recorded: ${describe(error)}` })
    })
  }
  aedes.on('clientReady', (client) => {
    const identity = identities.get(client)
    if (identity?.kind !== 'gateway') return
    current.set(identity.eui, client)
    tell(identity.eui, true)
  })
  aedes.on('clientDisconnect', (client) => {
    const identity = identities.get(client)
    if (identity?.kind !== 'gateway' || current.get(identity.eui) !== client) return
    current.delete(identity.eui)
    tell(identity.eui, false)
  })
}

/** The options' limits, defaulted and checked: INVALID_OPTIONS for one out of range. */
function checkedLimits(options: BrokerOptions): { packetBytesMax: number; connectionsMax: number; connectTimeout_ms: number } {
  const packet_bytes_max = options.packetBytesMax ?? PACKET_BYTES_MAX_DEFAULT
  const connections_max = options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT
  const connectTimeout_ms = options.connectTimeout_ms ?? BROKER_CONNECT_TIMEOUT_MS_DEFAULT
  if (!Number.isSafeInteger(packet_bytes_max) || packet_bytes_max < 2) {
    throw new MqttError('INVALID_OPTIONS', `packetBytesMax must be an integer >= 2, got ${packet_bytes_max}`)
  }
  requirePositiveInteger(connections_max, 'connectionsMax')
  requirePositiveInteger(connectTimeout_ms, 'connectTimeout_ms')
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new MqttError('INVALID_OPTIONS', `port must be 0..65535, got ${options.port}`)
  }
  return { packetBytesMax: packet_bytes_max, connectionsMax: connections_max, connectTimeout_ms }
}

/**
 * Who may connect (the CONNECT check, its nonce stored before the CONNACK), publish and
 * subscribe; `identities` keeps who each accepted connection is.
 */
function accessHooks(
  options: BrokerOptions, log: (event: BrokerEvent) => void, identities: WeakMap<Client, BrokerIdentity>,
): Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'> {
  const authenticateConnect = createConnectAuthenticator(options)
  return {
    authenticate(client, username, password, done) {
      const refuse = (reason: ConnectRefusalReason | 'LOOKUP_FAILED' | 'NONCE_NOT_STORED', returnCode: ConnackRefusalCode): void => {
        log({ kind: 'connect-refused', clientId: client.id, username, reason, returnCode })
        const error = new MqttError('CONNECT_REFUSED', reason) as MqttError & Pick<AuthenticateError, 'returnCode'>
        error.returnCode = returnCode as AuthenticateError['returnCode']
        done(error as AuthenticateError, false)
      }
      authenticateConnect({ clientId: client.id, username, password }).then((decision) => {
        if (!decision.ok) {
          refuse(decision.reason, decision.returnCode)
          return
        }
        identities.set(client, decision.identity)
        log({ kind: 'connected', clientId: client.id, identity: decision.identity })
        done(null, true)
      }, (error: unknown) => {
        if (isMqttError(error, 'NONCE_NOT_STORED')) {
          // The password was good, but a restart could forget its nonce: not let in.
          log({ kind: 'broker-error', message: `a password nonce was not stored: ${describe(error)}` })
          refuse('NONCE_NOT_STORED', CONNACK_SERVER_UNAVAILABLE)
          return
        }
        // lookupGatewayKey, a provisioned key of the wrong length, the database: a fault on our side.
        log({ kind: 'broker-error', message: `authenticate failed: ${describe(error)}` })
        refuse('LOOKUP_FAILED', CONNACK_SERVER_UNAVAILABLE)
      })
    },

    authorizePublish(client: Client | null, packet: PublishPacket, done) {
      const identity = client === null ? undefined : identities.get(client)
      // client is null only for an old will published after a broker restart: nobody vouches for it.
      if (identity !== undefined && mayPublish(identity, packet.topic, packet.retain)) {
        done(null)
        return
      }
      log({ kind: 'publish-refused', clientId: client?.id, topic: packet.topic, retain: packet.retain })
      // aedes closes the connection on this error: MQTT 3.1.1 has no way to refuse a PUBLISH in-band.
      done(new MqttError('PUBLISH_REFUSED', `may not publish to ${JSON.stringify(packet.topic)}`))
    },

    authorizeSubscribe(client: Client, subscription: Subscription, done) {
      const identity = identities.get(client)
      if (identity !== undefined && maySubscribe(identity, subscription.topic)) {
        done(null, subscription)
        return
      }
      log({ kind: 'subscribe-refused', clientId: client.id, filter: subscription.topic })
      // A null subscription makes aedes answer 0x80 in the SUBACK and keep the connection.
      done(null, null)
    }
  }
}

interface TcpSide {
  /** Every open connection, TLS handshakes under way included, so close() can cut them all. */
  readonly sockets: Set<Socket>
  readonly packetBytesMax: number
  readonly connectionsMax: number
  /** Also bounds a TLS handshake: it is part of the time a client has to send CONNECT. */
  readonly connectTimeout_ms: number
  readonly tls: BrokerOptions['tls']
}

/** The TCP side (TLS with a certificate): each connection behind a packet size guard, at most connectionsMax at once. */
function tcpServer(aedes: Aedes, side: TcpSide, log: (event: BrokerEvent) => void): Server {
  const take = (socket: Socket): void => {
    try {
      aedes.handle(new PacketSizeGuard(socket, side.packetBytesMax))
    } catch (error) {
      log({ kind: 'broker-error', message: `could not take a connection: ${describe(error)}` })
      socket.destroy()
    }
  }
  const server = side.tls === undefined
    ? createServer(take)
    : createTlsServer({ cert: side.tls.cert, key: side.tls.key, handshakeTimeout: side.connectTimeout_ms }, take)
  // The TCP connection, before any handshake: what close() destroys, whatever stage it is at.
  server.on('connection', (socket: Socket) => {
    side.sockets.add(socket)
    socket.once('close', () => side.sockets.delete(socket))
  })
  // Node ends such a connection itself: plain MQTT on the TLS port, a certificate the client refused, a timeout.
  server.on('tlsClientError', (error: Error) => {
    log({ kind: 'client-error', clientId: undefined, code: errorCode(error), message: error.message })
  })
  server.maxConnections = side.connectionsMax
  server.on('drop', (dropped) => log({ kind: 'connection-dropped', remoteAddress: dropped?.remoteAddress }))
  server.on('error', (error) => log({ kind: 'broker-error', message: describe(error) }))
  return server
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

function tcpPortOf(server: Server): number {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new MqttError('INVALID_OPTIONS', 'the broker must listen on a TCP port')
  return address.port
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()))
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'ERROR'
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function noop(): void {}
