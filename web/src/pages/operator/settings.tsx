// Fees and risk: the fee schedules' versions and the next one, then each gateway's offline risk limits.

import { Page } from '../../components/ui'
import { useT } from '../../i18n'
import { Fees } from './fees'
import { Risk } from './risk'

export function Settings() {
  const t = useT()
  return (
    <Page title={t.operator.settingsTitle}>
      <Fees />
      <Risk />
    </Page>
  )
}
