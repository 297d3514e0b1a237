// How the ingest settles payments through the ledger, for a batch's records and for online
// approvals alike: one settle input per payment, built in one place, with what the ledger needs
// first (the fee schedule in force, the owner's wallet in the payment's currency).

import type { AuthorizationBody } from '../../protocol/messages/authorization'
import { formatAmount } from '../../protocol/money'
import { Reason } from '../../protocol/reasons'
import { walletAccountId } from '../accounts'
import type { NewLiveEvent } from '../events/model'
import type { GatewayView } from '../gateways/view'
import type { LedgerError } from '../ledger/errors'
import type { Metadata } from '../ledger/model'
import type { HoldOutcome, LedgerStore, SettleFromHoldInput } from '../ledger/store'
import type { SqlQuery } from '../store/sql'
import type { IngestDependencies } from './dependencies'
import { asHubFault, HubFaultError } from './hub-fault'

/**
 * Merchant currencies and opened owner wallets remembered, each; past it the memory starts over
 * (both are only shortcuts: a currency is read again, opening a wallet twice changes nothing).
 */
const ACCOUNTS_REMEMBERED_MAX = 10_000

/** One customer-signed payment the ingest decided to settle. */
export interface PaymentToSettle {
  readonly authorization: AuthorizationBody
  /** SHA-256 of the bytes the customer signed (protocol transferIdOf). */
  readonly transferIdHex: string
  /** The authorization's voucher id, in hex. */
  readonly voucherIdHex: string
  /** Where the payment came from: the record's place in its chain, or an online approval. */
  readonly metadata: Metadata
}

/**
 * The reason a gateway is told when the ledger refused a payment. Only a refusal about the
 * customer's money is a decision about the payment; any other (an unknown account or fee schedule,
 * a conflict, a hold missing for a voucher the hub issued, a currency the ingest had checked
 * already) means the hub's own records are at fault: a HubFaultError, never signed as a refusal.
 */
export function ledgerRefusalReason(error: LedgerError): Reason {
  if (error.code === 'INSUFFICIENT_FUNDS') return Reason.InsufficientFunds
  throw asHubFault(error)
}

/** The ledger's settle input for a payment taken at `gateway` under the fee schedule `feeScheduleId`. */
function settleInput(gateway: GatewayView, payment: PaymentToSettle, feeScheduleId: string): SettleFromHoldInput {
  const { authorization } = payment
  return {
    transferId: payment.transferIdHex,
    voucherId: payment.voucherIdHex,
    amountMinor: authorization.amountMinor,
    merchantAccountId: gateway.merchantAccountId!,
    ownerAccountId: walletAccountId(gateway.ownerUserId!, authorization.currency),
    feeScheduleId,
    gatewayEui: gateway.eui,
    metadata: payment.metadata,
  }
}

export class Settlement {
  private readonly merchantCurrencies = new Map<string, string>()
  private readonly openedWallets = new Set<string>()
  private readonly ledger: LedgerStore

  constructor(private readonly deps: Pick<IngestDependencies, 'ledger' | 'fees' | 'events' | 'clock'>) {
    this.ledger = deps.ledger
  }

  /**
   * The currency of the gateway's merchant account, which every payment it takes must be in. A
   * gateway whose merchant account the ledger does not know is the hub's fault, not its payments'.
   */
  async merchantCurrency(gateway: GatewayView): Promise<string> {
    const id = gateway.merchantAccountId
    if (id === null) throw new HubFaultError('merchant_account', `gateway ${gateway.eui} has no merchant account`)
    let currency = this.merchantCurrencies.get(id)
    if (currency === undefined) {
      currency = (await this.ledger.account(id))?.currency
      if (currency === undefined) throw new HubFaultError('merchant_account', `no account ${id}, the merchant account of gateway ${gateway.eui}`)
      if (this.merchantCurrencies.size >= ACCOUNTS_REMEMBERED_MAX) this.merchantCurrencies.clear()
      this.merchantCurrencies.set(id, currency)
    }
    return currency
  }

  /**
   * Settles the payments, all taken at `gateway`, in one ledger call: one outcome per payment, in
   * order. Each settles under the fee schedule in force (looked up once per currency) and pays the
   * owner share into the owner's wallet in its currency, opened on first use. `alsoWrite` runs in the
   * ledger's transaction with the outcomes and its statements (see LedgerStore.settleFromHolds), even when
   * there is nothing to settle (a transaction of the ledger's with no payment in it).
   */
  async settle(
    gateway: GatewayView, payments: readonly PaymentToSettle[],
    alsoWrite?: (outcomes: readonly HoldOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<HoldOutcome[]> {
    if (payments.length === 0) return this.ledger.settleFromHolds([], alsoWrite)
    const feeSchedules = new Map<string, string>()
    const inputs: SettleFromHoldInput[] = []
    for (const payment of payments) {
      const currency = payment.authorization.currency
      let feeScheduleId = feeSchedules.get(currency)
      if (feeScheduleId === undefined) {
        feeScheduleId = await this.deps.fees.current(gateway.type, currency)
        feeSchedules.set(currency, feeScheduleId)
      }
      inputs.push(settleInput(gateway, payment, feeScheduleId))
    }
    for (const currency of feeSchedules.keys()) await this.openOwnerWallet(gateway, currency)
    const outcomes = await this.ledger.settleFromHolds(inputs, alsoWrite)
    this.announce(gateway, payments, outcomes)
    return outcomes
  }

  /** A payment.settled for each payment the ledger settled now; one it had settled before was announced then. */
  private announce(gateway: GatewayView, payments: readonly PaymentToSettle[], outcomes: readonly HoldOutcome[]): void {
    const at_ms = this.deps.clock.now_ms()
    const events: NewLiveEvent[] = []
    outcomes.forEach((outcome, index) => {
      if (outcome.status !== 'applied' || outcome.transferId === null) return
      const { currency, amountMinor } = payments[index]!.authorization
      events.push({
        type: 'payment.settled',
        data: {
          transferId: outcome.transferId, gatewayId: gateway.id, currency, amountMinor, amount: formatAmount(amountMinor, currency),
          payerAccountId: outcome.hold.walletAccountId, payeeAccountId: gateway.merchantAccountId!, atMs: at_ms,
        },
      })
    })
    this.deps.events.publishAll(events, { gatewayOwner: gateway.ownerUserId })
  }

  private async openOwnerWallet(gateway: GatewayView, currency: string): Promise<void> {
    const id = walletAccountId(gateway.ownerUserId!, currency)
    if (this.openedWallets.has(id)) return
    await this.ledger.openWallet({ id, userId: gateway.ownerUserId, currency })
    if (this.openedWallets.size >= ACCOUNTS_REMEMBERED_MAX) this.openedWallets.clear()
    this.openedWallets.add(id)
  }
}
