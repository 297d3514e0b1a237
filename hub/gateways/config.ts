// A gateway's signed RiskConfig: issued from the limits in risk.ts, stored on the gateway's row,
// and published retained on its config topic, where it waits for the gateway to (re)connect; and,
// once the gateway is retired, the retained messages of its EUI cleared from the broker.

import { assert } from '../../protocol/errors'
import { riskConfigCodec, type RiskConfigBody } from '../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../protocol/signature/node'
import { gatewayRetainedTopics, gatewayTopic } from '../../protocol/topics'
import type { HubContext } from '../context'
import { HttpError } from '../http/errors'
import type { SqlQuery } from '../store/sql'
import {
  applyRiskLimitsPatch, defaultRiskLimits, nextRiskConfigBody, riskLimitsOf, type RiskLimits, type RiskLimitsPatch,
} from './risk'
import { GATEWAY_PAGE_SIZE_MAX, GatewayStore, type Gateway } from './store'

/** The limits in force for a gateway, and the config that carries them (null before the first is issued). */
export interface CurrentRiskLimits {
  readonly limits: RiskLimits
  readonly issued: RiskConfigBody | null
}

/**
 * The currency a gateway takes payments in: its merchant account's, or before it has one, its
 * catalog price's (the currency its default merchant account will have).
 */
async function paymentCurrencyOf(context: HubContext, gateway: Gateway): Promise<string> {
  if (gateway.merchantAccountId === null) return gateway.priceCurrency
  const account = await context.ledger.account(gateway.merchantAccountId)
  // The column references accounts, and accounts are never deleted.
  assert(account !== undefined, `the merchant account ${gateway.merchantAccountId} of ${gateway.eui} exists`)
  return account.currency
}

/** The stored config if it is in the gateway's payment currency; otherwise the defaults of that currency, not yet issued. */
export async function currentRiskLimits(context: HubContext, gateway: Gateway): Promise<CurrentRiskLimits> {
  const currency = await paymentCurrencyOf(context, gateway)
  if (gateway.riskConfig !== null) {
    const { signature: _signature, ...issued } = riskConfigCodec.decode(gateway.riskConfig)
    if (issued.currency === currency) return { limits: riskLimitsOf(issued), issued }
  }
  return { limits: defaultRiskLimits(currency), issued: null }
}

/** Signs `body` with the hub key; the bytes a gateway receives and verifies against the key it pinned. */
export function signRiskConfig(context: HubContext, body: RiskConfigBody): Uint8Array {
  return riskConfigCodec.encode(riskConfigCodec.sign(body, context.hubKeys.secretKey, nodeEd25519))
}

/**
 * Issues the next config of a gateway with `patch` applied to its current limits, stores it and publishes it.
 * `recordChange` runs in the transaction that stores it (the audit log's entry), through its `sql` only.
 */
export async function changeRiskLimits(
  context: HubContext, store: GatewayStore, gatewayId: string, patch: RiskLimitsPatch,
  recordChange: (sql: SqlQuery, gateway: Gateway, body: RiskConfigBody) => Promise<void>,
): Promise<{ gateway: Gateway; body: RiskConfigBody }> {
  const gateway = await store.byId(gatewayId)
  if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${gatewayId}`)
  if (gateway.status === 'retired') throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} is retired`)
  const { limits } = await currentRiskLimits(context, gateway)
  const body = nextRiskConfigBody(gateway.eui, applyRiskLimitsPatch(limits, patch), gateway.riskConfigSerial, context.clock.now_ms())
  const encoded = signRiskConfig(context, body)
  // The serial decides between hubs changing the limits at once: one compare-and-set wins, the other is a CONFLICT.
  const stored = await context.engine.write(async (sql) => {
    if (!(await store.setRiskConfig(gateway.id, encoded, body.serial, gateway.riskConfigSerial, sql))) return undefined
    await recordChange(sql, gateway, body)
    return store.byId(gateway.id, sql)
  })
  if (stored === undefined) throw new HttpError(409, 'CONFLICT', `the risk config of ${gateway.eui} changed meanwhile; read it and try again`)
  void publishRiskConfig(context, gateway.eui, encoded)
  return { gateway: stored, body }
}

/**
 * Publishes a config retained on the gateway's config topic; resolves false, having logged why, if the
 * bus refuses (no MQTT connection yet). Callers need not wait: the stored config is what counts, and
 * republishConfigs sends every one again when the MQTT side starts. A gateway takes the highest
 * serial it has seen, so configs published out of order do no harm.
 */
export async function publishRiskConfig(context: HubContext, eui: string, encoded: Uint8Array): Promise<boolean> {
  const topic = gatewayTopic(eui, 'config')
  try {
    await context.bus.publish(topic, encoded, { retain: true })
    return true
  } catch (error) {
    context.log.warn({ eui, topic, err: error }, 'risk config stored but not published; it is republished when MQTT starts')
    return false
  }
}

/**
 * Publishes the stored config of every provisioned gateway, retained, a bounded page at a time; for
 * the MQTT side to call once it is connected. Resolves with how many the bus accepted.
 */
export async function republishConfigs(context: HubContext): Promise<number> {
  const store = new GatewayStore(context.engine)
  let published = 0
  let afterId = ''
  // Bounded by the table: each page starts after the last id of the one before.
  for (;;) {
    const page = await store.provisionedConfigsAfter(afterId, GATEWAY_PAGE_SIZE_MAX)
    if (page.length === 0) return published
    const outcomes = await Promise.all(page.map((config) => publishRiskConfig(context, config.eui, config.riskConfig)))
    published += outcomes.filter(Boolean).length
    afterId = page[page.length - 1]!.id
  }
}

/**
 * Clears every retained message under a gateway's EUI (its config, its presence) with an empty retained message, which
 * the broker takes as "forget it": for a retired gateway, and for one whose EUI a new gateway takes. Resolves false,
 * having logged why, if the bus refuses; clearRetiredRetainedMessages does it again when the MQTT side starts.
 */
export async function clearRetainedMessages(context: HubContext, eui: string): Promise<boolean> {
  const outcomes = await Promise.all(gatewayRetainedTopics(eui).map(async (topic) => {
    try {
      await context.bus.publish(topic, new Uint8Array(0), { retain: true })
      return true
    } catch (error) {
      context.log.warn({ eui, topic, err: error }, 'a retired gateway\'s retained message was not cleared; it is cleared when MQTT starts')
      return false
    }
  }))
  return outcomes.every(Boolean)
}

/**
 * Clears the retained messages of every EUI a retired gateway held and no provisioned gateway holds now, a bounded
 * page at a time; for the MQTT side to call once it is connected (an external broker keeps them across hub restarts).
 * Resolves with how many EUIs were cleared.
 */
export async function clearRetiredRetainedMessages(context: HubContext): Promise<number> {
  const store = new GatewayStore(context.engine)
  let cleared = 0
  let afterEui = ''
  // Bounded by the table: each page starts after the last EUI of the one before.
  for (;;) {
    const page = await store.retiredEuisAfter(afterEui, GATEWAY_PAGE_SIZE_MAX)
    if (page.length === 0) return cleared
    const outcomes = await Promise.all(page.map((eui) => clearRetainedMessages(context, eui)))
    cleared += outcomes.filter(Boolean).length
    afterEui = page[page.length - 1]!
  }
}
