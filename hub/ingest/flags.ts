// Double-spend flags as an operator reads them: both customer-signed authorizations decoded, each
// checked again against the payer's device key with the protocol's own verifier, so the proof can be
// judged (and re-checked elsewhere from the hex) without trusting the hub; and resolving a flag, once.

import { toHex } from '../../protocol/bytes'
import { authorizationCodec } from '../../protocol/messages/authorization'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import type { Clock } from '../../protocol/clock'
import type { AuditLog } from '../audit/store'
import { HttpError } from '../http/errors'
import type { LedgerStore } from '../ledger/store'
import type { SqlEngine } from '../store/sql'
import type { FlagStore, StoredAuthorization, StoredFlag } from './flag-store'
import type { AuthorizationEvidence, FlagStatus, FlagView } from './flag-wire'

/** Flags in one page at most. */
export const FLAGS_PAGE_MAX = 100

export interface FlagDependencies {
  readonly store: FlagStore
  /** Resolving a flag and its audit log entry are one transaction of it. */
  readonly engine: Pick<SqlEngine, 'write'>
  readonly audit: Pick<AuditLog, 'recordIn'>
  readonly ledger: Pick<LedgerStore, 'transfer'>
  readonly gatewayIdOf: (eui: string) => Promise<string | null>
  readonly userNameOf: (userId: string) => Promise<string | null>
  readonly ed25519: Ed25519
  readonly clock: Pick<Clock, 'now_ms'>
}

export class DoubleSpendFlags {
  constructor(private readonly deps: FlagDependencies) {}

  /** Newest first; `next` is the cursor of the following page, null on the last. */
  async page(status: FlagStatus | undefined, beforeId: number | undefined, limit: number): Promise<{ flags: FlagView[]; next: number | null }> {
    // One more than asked says whether there is a next page.
    const stored = await this.deps.store.page(status, beforeId, limit + 1)
    const flags = await Promise.all(stored.slice(0, limit).map(flag => this.view(flag)))
    return { flags, next: stored.length > limit ? flags.at(-1)!.id : null }
  }

  /**
   * Records who resolved the flag, when and why, in the audit log too. The first resolution stands: a flag resolved
   * already is refused with 409 FLAG_RESOLVED and nothing changes.
   */
  async resolve(id: number, byUserId: string, note: string): Promise<FlagView> {
    const { store, clock, engine, audit } = this.deps
    const flag = await store.byId(id)
    if (flag === undefined) throw new HttpError(404, 'NOT_FOUND', `no double-spend flag ${id}`)
    const at_ms = clock.now_ms()
    const resolved = await engine.write(async (sql) => {
      if (!await store.resolveIn(sql, id, { byUserId, note, atMs: at_ms })) return false
      await audit.recordIn(sql, {
        atMs: at_ms, actorId: byUserId, action: 'flag.resolve', targetId: String(id),
        targetName: `double spend of voucher ${flag.voucherIdHex}`, detail: note,
      })
      return true
    })
    if (!resolved) {
      const { resolution } = (await store.byId(id))!
      const by = (await this.deps.userNameOf(resolution!.byUserId)) ?? resolution!.byUserId
      throw new HttpError(409, 'FLAG_RESOLVED', `flag ${id} was resolved by ${by} at ${new Date(resolution!.atMs).toISOString()}`)
    }
    return this.view((await store.byId(id))!)
  }

  private async view(flag: StoredFlag): Promise<FlagView> {
    const authorizations = await Promise.all(flag.authorizations.map(stored => this.evidence(stored, flag.payerDeviceKey)))
    const { resolution } = flag
    return {
      id: flag.id,
      kind: flag.kind,
      gatewayId: authorizations[1]!.gatewayId,
      voucherId: flag.voucherIdHex,
      payerUserId: flag.payerUserId,
      payerDeviceKey: flag.payerDeviceKey === null ? null : toHex(flag.payerDeviceKey),
      detectedAtMs: flag.detectedAtMs,
      status: resolution === null ? 'open' : 'resolved',
      resolvedAtMs: resolution?.atMs ?? null,
      resolvedByUserId: resolution?.byUserId ?? null,
      resolvedByName: resolution === null ? null : await this.deps.userNameOf(resolution.byUserId),
      note: resolution?.note ?? null,
      authorizations,
    }
  }

  private async evidence(stored: StoredAuthorization, payerDeviceKey: Uint8Array | null): Promise<AuthorizationEvidence> {
    const { ledger, gatewayIdOf, ed25519 } = this.deps
    // The hub encoded these bytes itself when it found the double spend: a decoding failure is a broken row, not input.
    const authorization = authorizationCodec.decode(stored.bytes)
    const settled = (await ledger.transfer(stored.transferIdHex)) !== undefined
    return {
      transferId: settled ? stored.transferIdHex : null,
      gatewayId: await gatewayIdOf(authorization.gatewayEui),
      gatewayEui: authorization.gatewayEui,
      counter: authorization.seq,
      cumulativeMinor: authorization.cumulativeMinor,
      amountMinor: authorization.amountMinor,
      currency: authorization.currency,
      atMs: authorization.timeMs,
      messageHex: toHex(authorizationCodec.encodeUnsigned(authorization)),
      signatureHex: toHex(authorization.signature),
      signatureValid: payerDeviceKey !== null && authorizationCodec.verify(authorization, payerDeviceKey, ed25519),
    }
  }
}
