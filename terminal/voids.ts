// Online requests the hub may have approved without the counter ever recording them. Each is
// written down before it leaves; once the payment is recorded (online or taken offline) or the hub
// has answered, it is removed. One that ends otherwise (no answer and a decline at the counter, a
// store that failed to record, power lost mid-wait) becomes a gateway-signed void, kept and sent
// again until the hub answers (protocol online-void.ts): the customer is never charged for a
// payment the merchant did not see approved.

import { onlineVoidRequestCodec, type OnlineVoidResponseBody } from '../protocol/messages/online-void'
import type { Reason } from '../protocol/reasons'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { blob, type SqliteDatabase } from './store/database'
import type { TerminalStore } from './store/store'

type AskStatus = 'asking' | 'voiding' | 'voided' | 'refused'

export interface OnlineAsk {
  readonly transferId: Uint8Array
  readonly amountMinor: number
  readonly currency: string
  readonly askedAtMs: number
  readonly status: AskStatus
  /** The signed OnlineVoidRequest, sent as is every time; null while still asking. */
  readonly voidRequest: Uint8Array | null
  readonly reason: Reason | null
  readonly reversedMinor: number | null
}

interface Row {
  transfer_id: Buffer
  amount_minor: number
  currency: string
  asked_at_ms: number
  status: AskStatus
  void_request: Buffer | null
  reason: number | null
  reversed_minor: number | null
}

function askOf(row: Row): OnlineAsk {
  return {
    transferId: new Uint8Array(row.transfer_id), amountMinor: row.amount_minor, currency: row.currency, askedAtMs: row.asked_at_ms,
    status: row.status, voidRequest: row.void_request === null ? null : new Uint8Array(row.void_request),
    reason: row.reason as Reason | null, reversedMinor: row.reversed_minor,
  }
}

export class OnlineAsks {
  private readonly statements

  constructor(private readonly store: TerminalStore, private readonly ed25519: Ed25519, db: SqliteDatabase = store.db) {
    this.statements = {
      insert: db.prepare<[Buffer, number, string, number]>(
        `INSERT OR IGNORE INTO online_asks (transfer_id, amount_minor, currency, asked_at_ms, status) VALUES (?, ?, ?, ?, 'asking')`),
      close: db.prepare<[Buffer]>(`DELETE FROM online_asks WHERE transfer_id = ? AND status = 'asking'`),
      toVoid: db.prepare<[Buffer, Buffer]>(`UPDATE online_asks SET status = 'voiding', void_request = ? WHERE transfer_id = ? AND status = 'asking'`),
      answer: db.prepare<[AskStatus, number, number, number, Buffer, Buffer]>(
        `UPDATE online_asks SET status = ?, reason = ?, reversed_minor = ?, answered_at_ms = ?, response = ?
         WHERE transfer_id = ? AND status = 'voiding'`),
      byId: db.prepare<[Buffer], Row>('SELECT * FROM online_asks WHERE transfer_id = ?'),
      withStatus: db.prepare<[AskStatus], Row>('SELECT * FROM online_asks WHERE status = ? ORDER BY asked_at_ms, rowid'),
    }
  }

  /** Written down before the request leaves. */
  asking(transferId: Uint8Array, amount_minor: number, currency: string, now_ms: number): void {
    this.statements.insert.run(blob(transferId), amount_minor, currency, now_ms)
  }

  /** The payment was recorded, or the hub answered: nothing to void. */
  close(transferId: Uint8Array): void {
    this.statements.close.run(blob(transferId))
  }

  /** Neither answered nor recorded: signs its void with the gateway's key, to send until the hub answers. */
  void(transferId: Uint8Array, now_ms: number): void {
    const request = onlineVoidRequestCodec.sign(
      { transferId, gatewayEui: this.store.identity().eui, timeMs: now_ms }, this.store.keys.secretKey, this.ed25519)
    this.statements.toVoid.run(blob(onlineVoidRequestCodec.encode(request)), blob(transferId))
  }

  /** The wait for the hub is over: closed when the payment is recorded, else voided ('none': closed already). */
  end(transferId: Uint8Array, now_ms: number): 'closed' | 'voided' | 'none' {
    if (this.byId(transferId)?.status !== 'asking') return 'none'
    if (this.store.payments.byTransfer(transferId) !== undefined) {
      this.close(transferId)
      return 'closed'
    }
    this.void(transferId, now_ms)
    return 'voided'
  }

  /**
   * After a restart, no payment is under way: an ask left behind either became a record just before the
   * power went (closed) or never did (voided). How many were voided.
   */
  recover(now_ms: number): number {
    return this.statements.withStatus.all('asking').filter(ask => this.end(ask.transfer_id, now_ms) === 'voided').length
  }

  /** Voids to send (again): the hub has not answered them. */
  pendingVoids(): OnlineAsk[] {
    return this.statements.withStatus.all('voiding').map(askOf)
  }

  /** Keeps the hub's (verified) answer to a void; an answer to one answered already changes nothing. */
  answer(response: OnlineVoidResponseBody, responseBytes: Uint8Array, now_ms: number): OnlineAsk | undefined {
    this.statements.answer.run(response.voided ? 'voided' : 'refused', response.reason, response.reversedMinor, now_ms,
      blob(responseBytes), blob(response.transferId))
    return this.byId(response.transferId)
  }

  byId(transferId: Uint8Array): OnlineAsk | undefined {
    const row = this.statements.byId.get(blob(transferId))
    return row === undefined ? undefined : askOf(row)
  }
}
