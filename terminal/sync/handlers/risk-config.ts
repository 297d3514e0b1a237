// RiskConfig (hub → gateway, retained on `config`): kept when newer than the one held.

import { judgeRiskConfig } from '../../hub-messages'
import { reportRefusal, type SyncContext } from './context'

export function onRiskConfig(context: SyncContext, payload: Uint8Array): void {
  const { store, events, clock, trust } = context
  const judged = judgeRiskConfig(payload, trust, store.riskConfig()?.serial)
  if (!judged.accepted) return reportRefusal(context, judged.refusal, 'CONFIG_REFUSED', 'a RiskConfig')
  if (store.saveRiskConfig(judged.value, clock.now_ms())) events.emit('risk-config', { serial: judged.value.serial })
}
