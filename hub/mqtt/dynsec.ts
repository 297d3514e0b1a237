// Mosquitto's dynamic security plugin, driven over MQTT: commands published as JSON on
// `$CONTROL/dynamic-security/v1`, each answered on `…/response` under the correlation data it
// carried. The hub logs in with a client that has the plugin's admin role (the user
// `mosquitto_ctrl dynsec init` creates). Only what the hub needs: clients, roles, default access.

import { connectAsync, type MqttClient } from 'mqtt'
import type { Clock } from '../../protocol/clock'
import type { PinnedTlsOptions } from '../../protocol/tls-pin'
import { MqttError } from './errors'

const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1'
const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`
const ANSWER_TIMEOUT_MS_DEFAULT = 10_000

export interface DynsecCommand {
  readonly command: string
  readonly [field: string]: unknown
}

export interface DynsecAnswer {
  readonly command: string
  /** The plugin's refusal, e.g. "Client already exists"; absent when the command was carried out. */
  readonly error?: string
  readonly data?: unknown
}

export interface DynsecLogin {
  readonly url: string
  readonly username: string
  readonly password: string
  readonly tls?: PinnedTlsOptions
}

interface Waiter {
  readonly resolve: (answer: DynsecAnswer) => void
}

export class DynsecClient {
  private readonly waiting = new Map<string, Waiter>()
  private nextId = 1

  private constructor(private readonly client: MqttClient, private readonly clock: Clock, private readonly answerTimeout_ms: number) {
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE_TOPIC) this.answered(payload)
    })
  }

  /** Logs in as the plugin's admin and listens for its answers; rejects with the broker's refusal. */
  static async connect(
    login: DynsecLogin, options: { clock: Clock; clientId: string; answerTimeoutMs?: number },
  ): Promise<DynsecClient> {
    const client = await connectAsync(login.url, {
      username: login.username, password: login.password, clientId: options.clientId,
      reconnectPeriod: 1_000, connectTimeout: 10_000, ...login.tls,
    })
    try {
      const granted = await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 })
      if (granted.some(grant => (grant.qos & 0x80) !== 0)) {
        throw new MqttError('DYNSEC_FAILED', `the broker refused ${RESPONSE_TOPIC} to ${login.username}: is it the dynamic security plugin's admin?`)
      }
    } catch (error) {
      await client.endAsync(true)
      throw error
    }
    return new DynsecClient(client, options.clock, options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS_DEFAULT)
  }

  /**
   * Sends the commands in one message and resolves with their answers, in order (an answer may carry the plugin's
   * refusal in `error`). Rejects with DYNSEC_FAILED when an answer does not come in time: no plugin, or no admin.
   */
  async send(commands: readonly DynsecCommand[]): Promise<DynsecAnswer[]> {
    const ids = commands.map(() => String(this.nextId++))
    const answers = ids.map(id => new Promise<DynsecAnswer>((resolve, reject) => {
      const cancel = this.clock.setTimer(() => {
        this.waiting.delete(id)
        reject(new MqttError('DYNSEC_FAILED', `the dynamic security plugin did not answer within ${this.answerTimeout_ms} ms`))
      }, this.answerTimeout_ms)
      this.waiting.set(id, {
        resolve: answer => {
          cancel()
          resolve(answer)
        },
      })
    }))
    const message = { commands: commands.map((command, index) => ({ ...command, correlationData: ids[index] })) }
    await this.client.publishAsync(CONTROL_TOPIC, JSON.stringify(message), { qos: 1 })
    return Promise.all(answers)
  }

  /** Sends commands without waiting for their answers: for one that drops this very connection (a change to its own login). */
  async sendOnly(commands: readonly DynsecCommand[]): Promise<void> {
    await this.client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands }), { qos: 1 })
  }

  /** Resolves once the connection is up again (at once if it is); rejects with DYNSEC_FAILED after the answer timeout. */
  reconnected(): Promise<void> {
    if (this.client.connected) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const cancel = this.clock.setTimer(() => {
        this.client.off('connect', up)
        reject(new MqttError('DYNSEC_FAILED', `no connection to the broker again within ${this.answerTimeout_ms} ms`))
      }, this.answerTimeout_ms)
      const up = (): void => {
        cancel()
        resolve()
      }
      this.client.once('connect', up)
    })
  }

  close(): Promise<void> {
    return this.client.endAsync()
  }

  private answered(payload: Buffer): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(payload.toString('utf8'))
    } catch {
      return
    }
    const responses = (parsed as { responses?: unknown }).responses
    if (!Array.isArray(responses)) return
    for (const response of responses as Array<DynsecAnswer & { correlationData?: unknown }>) {
      const id = typeof response?.correlationData === 'string' ? response.correlationData : undefined
      const waiter = id === undefined ? undefined : this.waiting.get(id)
      if (waiter === undefined) continue
      this.waiting.delete(id!)
      waiter.resolve({ command: String(response.command), ...(response.error !== undefined && { error: String(response.error) }), data: response.data })
    }
  }
}
