// Finding the gateway owner to assign a gateway to: a search among the users who hold the owner role
// (GET /admin/users), and an assign button beside each one found.

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { ErrorMessage, Field, Loading, Table } from '../../components/ui'
import { useT } from '../../i18n'
import { query } from './parts'
import type { AdminUser, CursorPaged, Gateway } from './types'

const RESULTS_MAX = 10

function AssignButton({ gatewayId, user, merchantAccountId, onAssigned }: {
  gatewayId: string; user: AdminUser; merchantAccountId: string; onAssigned: (gateway: Gateway) => void
}) {
  const t = useT()
  const assign = useSubmit(async () => {
    const body = merchantAccountId.trim() === '' ? { ownerUserId: user.id } : { ownerUserId: user.id, merchantAccountId: merchantAccountId.trim() }
    onAssigned(await http.post<Gateway>(`/gateways/${encodeURIComponent(gatewayId)}/assign`, body))
  })
  return (
    <>
      <button type="button" disabled={assign.busy} onClick={assign.onSubmit}>
        {t.operator.gateways.assignTo}<span class="visually-hidden"> {user.fullName}</span>
      </button>
      <ErrorMessage error={assign.error} />
    </>
  )
}

export function AssignOwner({ gatewayId, onAssigned }: { gatewayId: string; onAssigned: (gateway: Gateway) => void }) {
  const t = useT()
  const g = t.operator.gateways
  const [search, setSearch] = useState<string | undefined>(undefined)
  const [merchantAccountId, setMerchantAccountId] = useState('')
  const found = useResource<{ users: AdminUser[] } & CursorPaged>(
    search === undefined ? null : `/admin/users?${query({ q: search, role: 'owner', status: 'active', limit: RESULTS_MAX })}`)
  const onSearch = (event: Event) => {
    event.preventDefault()
    setSearch(String(new FormData(event.currentTarget as HTMLFormElement).get('q') ?? '').trim())
  }
  return (
    <>
      <p class="muted">{g.assignIntro}</p>
      {/* The hint under the row, so the button stands beside the input. */}
      <form class="row" role="search" onSubmit={onSearch}>
        <Field label={g.ownerSearch} name="q" id="owner-search" type="search" maxLength={100} aria-describedby="owner-search-hint" />
        <button type="submit">{g.search}</button>
      </form>
      <p id="owner-search-hint" class="muted"><small>{g.ownerSearchHint}</small></p>
      <Field label={g.merchantAccount} name="merchantAccountId" id="merchant-account" maxLength={160} hint={g.merchantAccountHint}
        value={merchantAccountId} onInput={(event) => setMerchantAccountId(event.currentTarget.value)} />
      <ErrorMessage error={found.error} />
      {search === undefined ? null : found.data === undefined ? (found.error === undefined ? <Loading /> : null) : (
        <Table caption={g.owners} head={[t.operator.users.name, t.operator.users.contact, t.table.actions]} empty={found.data.users.length === 0}>
          {found.data.users.map((user) => (
            <tr key={user.id}>
              <td class="user-text">{user.fullName}</td>
              <td>{user.email ?? user.phone ?? t.app.none}</td>
              <td><AssignButton gatewayId={gatewayId} user={user} merchantAccountId={merchantAccountId} onAssigned={onAssigned} /></td>
            </tr>
          ))}
        </Table>
      )}
    </>
  )
}
