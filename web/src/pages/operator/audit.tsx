// The audit log: who did what to whom, newest first, paged by the hub's cursor.

import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Loading, Section, Table } from '../../components/ui'
import { useT } from '../../i18n'
import { CursorPager, query, useCursor } from './parts'
import type { AuditEntry, CursorPaged } from './types'

const PAGE_SIZE = 50

/** The dictionary's key of an audit action: `user.suspend` → `user_suspend` (dictionary keys have no dots). */
function actionKey(action: string): string {
  return action.replace(/[.-]/g, '_')
}

export function AuditLog() {
  const t = useT()
  const a = t.operator.audit
  const cursor = useCursor()
  const entries = useResource<{ entries: AuditEntry[] } & CursorPaged>(`/admin/audit?${query({ limit: PAGE_SIZE, before: cursor.before })}`)
  return (
    <Section title={a.title} id="audit">
      <ErrorMessage error={entries.error} />
      {entries.data === undefined ? (entries.error === undefined ? <Loading /> : null) : (
        <Table caption={a.caption} head={[t.table.date, a.actor, a.action, a.target, a.detail]} empty={entries.data.entries.length === 0}>
          {entries.data.entries.map((entry) => (
            <tr key={entry.id}>
              <td><DateTime atMs={entry.atMs} /></td>
              <td class="user-text">{entry.actorName}</td>
              <td>{(a.actions as Record<string, string>)[actionKey(entry.action)] ?? entry.action}</td>
              <td class="user-text">{entry.targetName ?? entry.targetId ?? t.app.none}</td>
              <td class="user-text">{entry.detail ?? t.app.none}</td>
            </tr>
          ))}
        </Table>
      )}
      <CursorPager cursor={cursor} next={entries.data?.next} />
    </Section>
  )
}
