// A gateway's connection in words and colour, the announcement, for screen readers, of one that changes, and
// what its last LoRa report said it held unsynced.

import { useState } from 'preact/hooks'
import { useLiveEvent } from '../../events'
import { useT } from '../../i18n'
import { Amount } from '../../components/ui'
import type { GatewaySync } from './model'

export function PresenceBadge({ online }: { online: boolean }) {
  const t = useT()
  return <span class={online ? 'badge on' : 'badge off'}>{online ? t.owner.presence.online : t.owner.presence.offline}</span>
}

/** A polite live region saying which of `gateways` went online or offline, by name. */
export function PresenceAnnouncer({ gateways }: { gateways: readonly { id: string; name: string }[] }) {
  const t = useT()
  const [said, setSaid] = useState('')
  useLiveEvent('gateway.presence', (event) => {
    const gateway = gateways.find((candidate) => candidate.id === event.gatewayId)
    if (gateway !== undefined) setSaid(t.owner.presence.changed(gateway.name, event.online))
  })
  return <p class="visually-hidden" role="status">{said}</p>
}

/** The amount the gateway's last LoRa report held unsynced, or a dash when it never reported over LoRa. */
export function Unsynced({ sync }: { sync: GatewaySync }) {
  const t = useT()
  if (sync.unsyncedOfflineMinor === null || sync.unsyncedOfflineCurrency === null) return <>{t.app.none}</>
  return <Amount minor={sync.unsyncedOfflineMinor} currency={sync.unsyncedOfflineCurrency} />
}
