// The LoRa reports a gateway sent while its internet link was down (the newest 20 the hub keeps), each with
// what it said the gateway held unsynced and whether the records that came later over IP agree.

import { Amount, DateTime, Section, Table } from '../../components/ui'
import { formatNumber, useT } from '../../i18n'
import type { LoraReports } from './model'

function signal(rssi: number | null, snr: number | null, none: string): string {
  return `${rssi === null ? none : `${formatNumber(rssi)} dBm`} / ${snr === null ? none : `${formatNumber(snr)} dB`}`
}

export function LoraSection({ lora }: { lora: LoraReports | undefined }) {
  const t = useT()
  const words = t.owner.lora
  if (lora === undefined) return null
  return (
    <Section title={words.title} id="lora">
      <p class="muted">{words.intro}</p>
      {lora.mismatchCount > 0 ? <p class="error">{words.mismatches(lora.mismatchCount)}</p> : null}
      {lora.reports.length === 0 ? <p>{words.none}</p> : (
        <Table caption={words.table} head={[words.receivedAt, words.seq, words.unsyncedCount, words.unsyncedAmount, words.check, words.signal]}>
          {lora.reports.map((report) => (
            <tr key={`${report.receivedAt}-${report.gatewaySeq}`}>
              <td><DateTime atMs={report.receivedAt} /></td>
              <td class="number">{formatNumber(report.gatewaySeq)}</td>
              <td class="number">{formatNumber(report.unsyncedCount)}</td>
              <td class="number"><Amount minor={report.unsyncedAmountMinor} currency={report.currency} /></td>
              <td class={report.check === 'mismatch' ? 'error' : undefined}>{t.owner.loraCheck[report.check]}</td>
              <td class="number">{signal(report.rssi, report.snr, t.app.none)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  )
}
