// Users: search them by name, email or phone, filter by role and state, and manage one (suspend with a
// reason, reactivate, grant or remove the operator role, each confirmed); the audit log below.

import { useEffect, useRef, useState } from 'preact/hooks'
import { http, signedInUser } from '../../api'
import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Loading, Page, Section, Table } from '../../components/ui'
import { useT } from '../../i18n'
import { AuditLog } from './audit'
import { ConfirmButton, CursorPager, ReasonForm, query, useCursor } from './parts'
import type { AdminUser, CursorPaged } from './types'

const PAGE_SIZE = 50
const ROLE_FILTERS = ['', 'customer', 'owner', 'operator'] as const
const STATUS_FILTERS = ['', 'active', 'suspended'] as const

interface Filters {
  q: string
  role: (typeof ROLE_FILTERS)[number]
  status: (typeof STATUS_FILTERS)[number]
}

function UserState({ user }: { user: AdminUser }) {
  const t = useT()
  const u = t.operator.users
  if (user.suspendedAtMs === null) return <span>{u.active}</span>
  return <span class="error">{u.suspended} <DateTime atMs={user.suspendedAtMs} /></span>
}

function ManageUser({ user, onChanged, onClose }: { user: AdminUser; onChanged: (message: string, user: AdminUser) => void; onClose: () => void }) {
  const t = useT()
  const u = t.operator.users
  const region = useRef<HTMLDivElement>(null)
  useEffect(() => region.current?.focus(), [user.id])
  const path = `/admin/users/${encodeURIComponent(user.id)}`
  const operator = user.roles.includes('operator')
  const self = signedInUser()?.id === user.id
  return (
    <div ref={region} tabIndex={-1} class="focus-target">
      <Section title={u.manage(user.fullName)} id="manage-user">
        <dl class="facts ops-facts">
          <dt>{u.contact}</dt><dd>{user.email ?? user.phone ?? t.app.none}</dd>
          <dt>{u.roles}</dt><dd>{user.roles.map((role) => t.roles[role]).join(', ')}</dd>
          <dt>{t.table.status}</dt><dd><UserState user={user} /></dd>
          {user.suspendedReason === null ? null : <><dt>{u.reason}</dt><dd class="user-text">{user.suspendedReason}</dd></>}
        </dl>
        {user.suspendedAtMs !== null ? (
          <ConfirmButton label={u.reactivate} question={u.reactivateQuestion(user.fullName)} confirm={u.reactivateConfirm}
            onConfirm={async () => onChanged(u.reactivated(user.fullName), await http.post<AdminUser>(`${path}/reactivate`, {}))} />
        ) : self ? <p class="muted">{u.selfNote}</p> : (
          <ReasonForm id="suspend-reason" label={u.suspendReason} submit={u.suspend} required danger
            onSubmit={async (reason) => onChanged(u.suspendedNote(user.fullName), await http.post<AdminUser>(`${path}/suspend`, { reason }))} />
        )}
        <div class="row">
          {operator ? (
            <ConfirmButton label={u.revokeOperator} question={u.revokeQuestion(user.fullName)} confirm={u.revokeConfirm} danger
              onConfirm={async () => onChanged(u.revoked(user.fullName), await http.delete<AdminUser>(`${path}/operator`))} />
          ) : (
            <ConfirmButton label={u.grantOperator} question={u.grantQuestion(user.fullName)} confirm={u.grantConfirm}
              onConfirm={async () => onChanged(u.granted(user.fullName), await http.post<AdminUser>(`${path}/operator`, {}))} />
          )}
          <button type="button" onClick={onClose}>{t.app.close}</button>
        </div>
      </Section>
    </div>
  )
}

function SearchForm({ filters, onSearch }: { filters: Filters; onSearch: (filters: Filters) => void }) {
  const t = useT()
  const u = t.operator.users
  const submit = (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    onSearch({ q: String(form.get('q') ?? '').trim(), role: form.get('role') as Filters['role'], status: form.get('status') as Filters['status'] })
  }
  return (
    <form class="row" role="search" onSubmit={submit}>
      <div class="field">
        <label for="user-search">{u.search}</label>
        <input id="user-search" name="q" type="search" maxLength={100} defaultValue={filters.q} />
      </div>
      <div class="field">
        <label for="user-role">{u.role}</label>
        <select id="user-role" name="role" defaultValue={filters.role}>
          {ROLE_FILTERS.map((role) => <option key={role} value={role}>{role === '' ? u.anyRole : t.roles[role]}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="user-status">{t.table.status}</label>
        <select id="user-status" name="status" defaultValue={filters.status}>
          {STATUS_FILTERS.map((status) => <option key={status} value={status}>{status === '' ? u.anyStatus : u.statusFilter[status]}</option>)}
        </select>
      </div>
      <button type="submit">{t.operator.gateways.search}</button>
    </form>
  )
}

function UserTable({ users, onManage }: { users: AdminUser[]; onManage: (user: AdminUser) => void }) {
  const t = useT()
  const u = t.operator.users
  return (
    <Table caption={u.listCaption} head={[u.name, u.contact, u.roles, t.table.status, t.table.actions]} empty={users.length === 0}>
      {users.map((user) => (
        <tr key={user.id}>
          <td class="user-text">{user.fullName}</td>
          <td>{user.email ?? user.phone ?? t.app.none}</td>
          <td>{user.roles.map((role) => t.roles[role]).join(', ')}</td>
          <td><UserState user={user} /></td>
          <td><button type="button" onClick={() => onManage(user)}>{u.manageButton}<span class="visually-hidden"> {user.fullName}</span></button></td>
        </tr>
      ))}
    </Table>
  )
}

export function Users() {
  const t = useT()
  const u = t.operator.users
  const [filters, setFilters] = useState<Filters>({ q: '', role: '', status: '' })
  const [managed, setManaged] = useState<AdminUser | undefined>(undefined)
  const [note, setNote] = useState('')
  const [auditGeneration, setAuditGeneration] = useState(0)
  const cursor = useCursor()
  const users = useResource<{ users: AdminUser[] } & CursorPaged>(`/admin/users?${query({ ...filters, limit: PAGE_SIZE, before: cursor.before })}`)
  const changed = (message: string, user: AdminUser) => {
    setManaged(user)
    setNote(message)
    users.reload()
    setAuditGeneration(auditGeneration + 1)
  }
  return (
    <Page title={u.title}>
      <SearchForm filters={filters} onSearch={(next) => { setFilters(next); cursor.restart() }} />
      <p role="status" class="good">{note}</p>
      {managed === undefined ? null : <ManageUser user={managed} onChanged={changed} onClose={() => setManaged(undefined)} />}
      <Section title={u.list} id="user-list">
        <ErrorMessage error={users.error} />
        {users.data === undefined ? (users.error === undefined ? <Loading /> : null) : <UserTable users={users.data.users} onManage={setManaged} />}
        <CursorPager cursor={cursor} next={users.data?.next} />
      </Section>
      <AuditLog key={auditGeneration} />
    </Page>
  )
}
