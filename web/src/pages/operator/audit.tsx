// The audit log: who did what to whom, newest first, paged by the hub's cursor.

import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Loading, Section, Table } from '../../components/ui'
import { useT } from '../../i18n'
import { CursorPager, query, useCursor } from './parts'
import type { AuditPageReply } from './types'

const PAGE_SIZE = 50

export function AuditLog() {
  const t = useT()
  const a = t.operator.audit
  const cursor = useCursor()
  const entries = useResource<AuditPageReply>(`/admin/audit?${query({ limit: PAGE_SIZE, before: cursor.before })}`)
  return (
    <Section title={a.title} id="audit">
      <ErrorMessage error={entries.error} />
      {entries.data === undefined ? (entries.error === undefined ? <Loading /> : null) : (
        <Table caption={a.caption} head={[t.table.date, a.actor, a.action, a.target, a.detail]} empty={entries.data.entries.length === 0}>
          {entries.data.entries.map((entry) => (
            <tr key={entry.id}>
              <td><DateTime atMs={entry.atMs} /></td>
              <td class="user-text">{entry.actorName}</td>
              <td>{a.actions[entry.action]}</td>
              <td class="user-text">{entry.targetName}</td>
              <td class="user-text">{entry.detail ?? t.app.none}</td>
            </tr>
          ))}
        </Table>
      )}
      <CursorPager cursor={cursor} next={entries.data?.next} />
    </Section>
  )
}
