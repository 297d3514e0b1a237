// The notifier every route shares (app.notifier): a message is written to the outbox inside the request
// that causes it, and delivered in the background by the adapters the configuration names.

import type { FastifyBaseLogger } from 'fastify'
import { toHex } from '../../protocol/bytes'
import { repeat, type Cancel } from '../../protocol/clock'
import type { HubContext } from '../context'
import type { SqlQuery } from '../store/sql'
import { whileLeading } from '../store/leadership'
import { sharedPlugin } from '../http/shared-plugin'
import { consoleAdapter } from './adapters/console'
import { smtpAdapter } from './adapters/smtp'
import { twilioAdapter } from './adapters/twilio'
import type { DeliveryAdapter } from './adapters/adapter'
import { NOTIFY_CONFIG_DEFAULT, type NotifyConfig } from './config'
import { Dispatcher } from './delivery'
import type { Channel, OutgoingMessage } from './message'
import type { Notifier } from './notifier'
import { Outbox } from './outbox'

const MESSAGE_ID_BYTES = 12

declare module 'fastify' {
  interface FastifyInstance {
    notifier: Notifier
  }
}

function deliveryAdapters(config: NotifyConfig, log: FastifyBaseLogger): Record<Channel, DeliveryAdapter> {
  const console = consoleAdapter(log)
  const email = config.email === 'smtp'
    ? smtpAdapter({ url: required(config.smtpUrl, 'smtpUrl'), from: config.emailFrom, timeoutMs: config.sendTimeoutMs })
    : console
  const sms = config.sms === 'twilio' ? twilioAdapter(required(config.twilio, 'twilio'), config.sendTimeoutMs) : console
  return { email, sms }
}

export const notifyPlugin = sharedPlugin<{ context: HubContext }>('payall-notify', async (app, { context }) => {
  const config = context.config.notify ?? NOTIFY_CONFIG_DEFAULT
  const outbox = new Outbox(context.engine)
  const adapters = deliveryAdapters(config, context.log)
  const dispatcher = new Dispatcher(outbox, adapters, context.clock, config, context.log)
  const automatic = config.deliveryIntervalMs > 0
  let stopInterval: Cancel | undefined
  /** Set while a drain is due right after the current reply: the sends before it fires share it. */
  let cancelDrainSoon: Cancel | undefined
  let closing = false

  const drainInBackground = async (): Promise<void> => {
    if (closing) return
    await dispatcher.deliverDue().then(() => undefined, (error: unknown) => context.log.error({ err: error }, 'notification delivery failed'))
  }

  const drainSoon = (): void => {
    if (!automatic || cancelDrainSoon !== undefined) return
    // Due now on the hub's clock, so it runs after the reply (and, on a manual clock, when the test moves it).
    cancelDrainSoon = context.clock.setTimer(() => {
      cancelDrainSoon = undefined
      void drainInBackground()
    }, 0, { background: true })
  }

  app.decorate('notifier', {
    async send(message: OutgoingMessage): Promise<string> {
      const id = `ntf_${toHex(context.random(MESSAGE_ID_BYTES))}`
      await outbox.enqueue(id, message, context.clock.now_ms())
      drainSoon()
      return id
    },
    async sendIn(sql: SqlQuery, message: OutgoingMessage): Promise<string> {
      const id = `ntf_${toHex(context.random(MESSAGE_ID_BYTES))}`
      await outbox.enqueueIn(sql, id, message, context.clock.now_ms())
      // A timer, not a delivery: on SQLite the drain waits for the transaction to end; on PostgreSQL one that runs
      // before it commits misses the message, which the next round (deliveryIntervalMs) delivers.
      drainSoon()
      return id
    },
    deliverDue: () => dispatcher.deliverDue(),
  } satisfies Notifier)

  app.addHook('onReady', async () => {
    if (!automatic) return
    // The rounds that deliver what is due (retries, and what another hub queued) run on the leading hub only; a send
    // is still delivered at once by the hub that queued it. A message is claimed in the database before it goes
    // out, so two hubs never deliver one twice.
    stopInterval = whileLeading(context.store.leadership,
      () => repeat(context.clock, drainInBackground, config.deliveryIntervalMs, { background: true }))
  })

  app.addHook('onClose', async () => {
    closing = true
    stopInterval?.()
    cancelDrainSoon?.()
    // The database closes after the app: let the running attempt record its outcome first.
    await dispatcher.idle()
    await Promise.all([...new Set(Object.values(adapters))].map((adapter) => adapter.close()))
  })
})

function required<Value>(value: Value | undefined, field: string): Value {
  if (value === undefined) throw new Error(`notify config: ${field} is needed by the adapter it names`)
  return value
}
