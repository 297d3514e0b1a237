// Gateways' logins on an external Mosquitto (PAYALL_MQTT_LOGINS=dynsec), kept by the hub through
// the broker's dynamic security plugin, as the embedded broker keeps them itself: a provisioned
// gateway logs in as its EUI and may publish and subscribe only its own topics (protocol/topics.ts);
// provisioning it again with a new key changes its password and drops the old device's
// connection; retiring it deletes its login, which drops it too. The password is derived from the
// hub's signing key, the EUI and the gateway's public key, so every hub sharing that key (several
// hubs, issue 17) computes the same one, and the broker's logins can be rebuilt from the database.

import { createHmac } from 'node:crypto'
import { sha256, toHex } from '../../protocol/bytes'
import { GATEWAY_PUBLISH_KINDS, TOPIC_PREFIX, gatewaySubscriptionTopics, gatewayTopic } from '../../protocol/topics'
import type { DynsecAnswer, DynsecClient, DynsecCommand } from '../mqtt/dynsec'
import { MqttError } from '../mqtt/errors'
import type { GatewayBrokerLogins, GatewayKey } from '../context'
import type { GatewayStore } from './store'

const PASSWORD_DOMAIN = 'payall/broker-password/v1'
/** The role the hub's own login gets: the whole payall/v1 tree, and its shared subscriptions. */
const HUB_ROLE = 'payall-hub'
/** Gateways reconciled per message to the plugin at start; clients listed per page. */
const RECONCILE_PAGE = 100
const GRANT_ATTEMPTS_MAX = 3

function gatewayRoleName(eui: string): string {
  return `payall-gateway-${eui}`
}

/** The gateway's password on the broker for its key: HMAC-SHA256 under the hub's signing key, base64url. */
function brokerPasswordOf(hubSecretKey: Uint8Array, eui: string, publicKey: Uint8Array): string {
  return createHmac('sha256', hubSecretKey.subarray(0, 32)).update(`${PASSWORD_DOMAIN}\n${eui}\n${toHex(publicKey)}`).digest('base64url')
}

/** The login's text name: which key it was made for, so a restart finds the logins a key change left behind. */
function textnameOf(eui: string, publicKey: Uint8Array): string {
  return `PayAll gateway ${eui}, key ${toHex(sha256(publicKey)).slice(0, 16)}`
}

function gatewayAcls(eui: string): object[] {
  return [
    ...GATEWAY_PUBLISH_KINDS.map(kind => ({ acltype: 'publishClientSend', topic: gatewayTopic(eui, kind), allow: true })),
    ...gatewaySubscriptionTopics(eui).map(topic => ({ acltype: 'subscribeLiteral', topic, allow: true })),
  ]
}

const HUB_ACLS = [
  { acltype: 'publishClientSend', topic: `${TOPIC_PREFIX}/#`, allow: true },
  { acltype: 'publishClientReceive', topic: `${TOPIC_PREFIX}/#`, allow: true },
  { acltype: 'subscribePattern', topic: `${TOPIC_PREFIX}/#`, allow: true },
  { acltype: 'subscribePattern', topic: `$share/+/${TOPIC_PREFIX}/#`, allow: true },
]

/** Refusals that only say the state is already what the command wanted. */
const ALREADY = /already exists|not found/i

function requireDone(answers: readonly DynsecAnswer[]): void {
  const refused = answers.find(answer => answer.error !== undefined && !ALREADY.test(answer.error))
  if (refused !== undefined) throw new MqttError('DYNSEC_FAILED', `the broker's dynamic security refused ${refused.command}: ${refused.error}`)
}

export class BrokerLogins implements GatewayBrokerLogins {
  constructor(
    private readonly dynsec: DynsecClient,
    private readonly hubSecretKey: Uint8Array,
    private readonly hubUsername: string,
  ) {}

  /** The password a gateway with this key logs in with. */
  passwordOf(gateway: GatewayKey): string {
    return brokerPasswordOf(this.hubSecretKey, gateway.eui, gateway.publicKey)
  }

  /**
   * The hub's own login gets the hub's role, and a client with no role may neither publish nor subscribe (the
   * plugin's defaults since `mosquitto_ctrl dynsec init`, set again in case they changed). Giving the hub's login a
   * role drops its connections, this one included: the answer is then read once it is back.
   */
  async grantHub(): Promise<void> {
    requireDone(await this.dynsec.send([
      { command: 'setDefaultACLAccess', acls: [
        { acltype: 'publishClientSend', allow: false }, { acltype: 'publishClientReceive', allow: true },
        { acltype: 'subscribe', allow: false }, { acltype: 'unsubscribe', allow: true },
      ] },
      { command: 'createRole', rolename: HUB_ROLE, textname: 'PayAll hubs', acls: HUB_ACLS },
    ]))
    for (let attempt = 1; ; attempt++) {
      const [answer] = await this.dynsec.send([{ command: 'getClient', username: this.hubUsername }])
      requireDone([answer!])
      const roles = (answer!.data as { client?: { roles?: Array<{ rolename: string }> } } | undefined)?.client?.roles ?? []
      if (roles.some(role => role.rolename === HUB_ROLE)) return
      if (attempt >= GRANT_ATTEMPTS_MAX) throw new MqttError('DYNSEC_FAILED', `the hub's login ${this.hubUsername} did not get the role ${HUB_ROLE}`)
      await this.dynsec.sendOnly([{ command: 'addClientRole', username: this.hubUsername, rolename: HUB_ROLE }])
      await this.dynsec.reconnected()
    }
  }

  /** Lets the gateway in with its key's password; a device logged in with another key is dropped. */
  async admit(gateway: GatewayKey): Promise<void> {
    requireDone(await this.dynsec.send(this.admitCommands(gateway, true)))
  }

  /** Deletes the gateway's login and role: a connected device is dropped, and cannot log in again. */
  async shutOut(eui: string): Promise<void> {
    requireDone(await this.dynsec.send(this.shutOutCommands(eui)))
  }

  /**
   * Makes the broker's logins what the database says, after a restart or a change made while the broker was away:
   * every provisioned gateway admitted (a login made for its key is left as it is, connection and all; one made for
   * another key is made anew), every EUI that only retired gateways held shut out.
   */
  async reconcile(store: GatewayStore): Promise<{ admitted: number; remade: number; shutOut: number }> {
    await this.grantHub()
    const existing = await this.existingTextnames()
    let admitted = 0
    let remade = 0
    for (let afterId = ''; ;) {
      const page = await store.provisionedKeysAfter(afterId, RECONCILE_PAGE)
      if (page.length === 0) break
      const commands: DynsecCommand[] = []
      for (const gateway of page) {
        const found = existing.get(gateway.eui)
        if (found === textnameOf(gateway.eui, gateway.publicKey)) continue
        if (found !== undefined) remade++
        else admitted++
        commands.push(...this.admitCommands(gateway, found !== undefined))
      }
      if (commands.length > 0) requireDone(await this.dynsec.send(commands))
      afterId = page[page.length - 1]!.id
    }
    let shutOut = 0
    for (let afterEui = ''; ;) {
      const page = await store.retiredEuisAfter(afterEui, RECONCILE_PAGE)
      if (page.length === 0) break
      const gone = page.filter(eui => existing.has(eui))
      if (gone.length > 0) requireDone(await this.dynsec.send(gone.flatMap(eui => this.shutOutCommands(eui))))
      shutOut += gone.length
      afterEui = page[page.length - 1]!
    }
    return { admitted, remade, shutOut }
  }

  /** Every login on the broker, by username, with its text name. */
  private async existingTextnames(): Promise<Map<string, string>> {
    const found = new Map<string, string>()
    for (let offset = 0; ; offset += RECONCILE_PAGE) {
      const [answer] = await this.dynsec.send([{ command: 'listClients', verbose: true, count: RECONCILE_PAGE, offset }])
      requireDone([answer!])
      const clients = (answer!.data as { clients?: Array<{ username: string; textname?: string }> } | undefined)?.clients ?? []
      for (const client of clients) found.set(client.username, client.textname ?? '')
      if (clients.length < RECONCILE_PAGE) return found
    }
  }

  private admitCommands(gateway: GatewayKey, replace: boolean): DynsecCommand[] {
    const { eui } = gateway
    const rolename = gatewayRoleName(eui)
    return [
      // A role made before keeps its ACLs: they are the same for every key of an EUI.
      { command: 'createRole', rolename, textname: `PayAll gateway ${eui}`, acls: gatewayAcls(eui) },
      // Deleting the login drops a device connected with it; creating it again lets the new key's password in.
      ...(replace ? [{ command: 'deleteClient', username: eui }] : []),
      { command: 'createClient', username: eui, password: this.passwordOf(gateway), textname: textnameOf(eui, gateway.publicKey), roles: [{ rolename }] },
    ]
  }

  private shutOutCommands(eui: string): DynsecCommand[] {
    return [{ command: 'deleteClient', username: eui }, { command: 'deleteRole', rolename: gatewayRoleName(eui) }]
  }
}
