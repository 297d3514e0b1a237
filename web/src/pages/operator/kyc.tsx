// KYC review. The hub counts the documents waiting for review but lists documents one user at a time
// (GET /users/{id}/documents), so the operator finds the user first, then reviews their documents here.

import { useEffect, useRef, useState } from 'preact/hooks'
import { useResource } from '../../components/resource'
import { ErrorMessage, Loading, Page, Section, Table } from '../../components/ui'
import { formatNumber, useT } from '../../i18n'
import { DocumentCard } from './kyc-document'
import { CursorPager, query, useCursor } from './parts'
import type { AdminUser, CursorPaged, KycDocument, OperatorInfos } from './types'

const USERS_PAGE_SIZE = 20

function UserDocuments({ user }: { user: AdminUser }) {
  const t = useT()
  const k = t.operator.kyc
  const region = useRef<HTMLDivElement>(null)
  const [note, setNote] = useState('')
  const documents = useResource<{ documents: KycDocument[] }>(`/users/${encodeURIComponent(user.id)}/documents`, ['kyc.reviewed'])
  useEffect(() => region.current?.focus(), [user.id])
  return (
    <div ref={region} class="focus-target" tabIndex={-1}>
      <Section title={k.documentsOf(user.fullName)} id="user-documents">
        <p role="status" class="good">{note}</p>
        <ErrorMessage error={documents.error} />
        {documents.data === undefined ? (documents.error === undefined ? <Loading /> : null)
          : documents.data.documents.length === 0 ? <p>{k.noDocuments}</p> : (
            <ul class="plain cards">
              {documents.data.documents.map((doc) => (
                <DocumentCard key={doc.id} document={doc} owner={user.fullName}
                  onDecided={(status) => { setNote(status === 'approved' ? k.approved : k.rejected); documents.reload() }} />
              ))}
            </ul>
          )}
      </Section>
    </div>
  )
}

function Users({ onPick }: { onPick: (user: AdminUser) => void }) {
  const t = useT()
  const k = t.operator.kyc
  const [search, setSearch] = useState('')
  const cursor = useCursor()
  const users = useResource<{ users: AdminUser[] } & CursorPaged>(`/admin/users?${query({ q: search, limit: USERS_PAGE_SIZE, before: cursor.before })}`)
  const onSearch = (event: Event) => {
    event.preventDefault()
    setSearch(String(new FormData(event.currentTarget as HTMLFormElement).get('q') ?? '').trim())
    cursor.restart()
  }
  return (
    <Section title={k.findUser} id="find-user">
      <form class="row" role="search" onSubmit={onSearch}>
        <div class="field">
          <label for="kyc-search">{k.search}</label>
          <input id="kyc-search" name="q" type="search" maxLength={100} />
        </div>
        <button type="submit">{t.operator.gateways.search}</button>
      </form>
      <ErrorMessage error={users.error} />
      {users.data === undefined ? (users.error === undefined ? <Loading /> : null) : (
        <Table caption={k.usersCaption} head={[t.operator.users.name, t.operator.users.contact, t.table.actions]} empty={users.data.users.length === 0}>
          {users.data.users.map((user) => (
            <tr key={user.id}>
              <td class="user-text">{user.fullName}</td>
              <td>{user.email ?? user.phone ?? t.app.none}</td>
              <td><button type="button" onClick={() => onPick(user)}>{k.review}<span class="visually-hidden"> {user.fullName}</span></button></td>
            </tr>
          ))}
        </Table>
      )}
      <CursorPager cursor={cursor} next={users.data?.next} />
    </Section>
  )
}

export function Kyc() {
  const t = useT()
  const k = t.operator.kyc
  const [picked, setPicked] = useState<AdminUser | undefined>(undefined)
  const infos = useResource<{ operator?: OperatorInfos }>('/users/dashboard-infos', ['kyc.reviewed'])
  const pending = infos.data?.operator?.documents.pending
  return (
    <Page title={k.title}>
      <p role="status">{pending === undefined ? null : k.pendingCount(pending, formatNumber(pending))}</p>
      <p class="muted">{k.howTo}</p>
      {picked === undefined ? null : <UserDocuments user={picked} />}
      <Users onPick={setPicked} />
    </Page>
  )
}
