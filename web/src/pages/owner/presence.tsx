// A gateway's connection in words and colour, and the announcement, for screen readers, of one that changes.

import { useState } from 'preact/hooks'
import { useLiveEvent } from '../../events'
import { useT } from '../../i18n'

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
