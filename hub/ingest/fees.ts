// Which fee schedule a new payment settles under: the newest version in force for the gateway's
// type and currency. With none configured, a zero-fee schedule is created so that settlement
// never waits on configuration; operators add versions with real fees.

import type { Clock } from '../../protocol/clock'
import { LedgerError } from '../ledger/errors'
import type { LedgerStore } from '../ledger/store'

export interface FeeScheduleResolver {
  current(gatewayType: string, currency: string): Promise<string>
}

export function feeScheduleResolver(ledger: LedgerStore, clock: Pick<Clock, 'now_ms'>): FeeScheduleResolver {
  return {
    async current(gatewayType, currency) {
      const now_ms = clock.now_ms()
      const schedules = await ledger.feeSchedules({ gatewayType, currency })
      let best: (typeof schedules)[number] | undefined
      for (const schedule of schedules) {
        if (schedule.effectiveFromMs > now_ms) continue
        if (best === undefined || schedule.version > best.version) best = schedule
      }
      if (best !== undefined) return best.id
      if (schedules.length > 0) {
        throw new LedgerError('UNKNOWN_FEE_SCHEDULE', `no fee schedule for ${gatewayType}/${currency} is in force yet`)
      }
      const id = `${gatewayType}.${currency}.v1`
      await ledger.addFeeSchedule({
        id, gatewayType, currency, version: 1, basisPoints: 0, fixedMinor: 0, ownerShareBasisPoints: 0, effectiveFromMs: 0,
      })
      return id
    },
  }
}
