// Previous and next through a paged list of the hub's (page, pageSize, total), named for the list it pages.

import { useT } from '../../i18n'

export function Pager({ label, page, pageSize, total, onPage }: { label: string; page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const t = useT()
  const pages = Math.max(1, Math.ceil(total / pageSize))
  if (pages <= 1) return null
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>{t.app.previous}</button>
      <span aria-live="polite">{t.owner.pager.position(page, pages)}</span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>{t.app.next}</button>
    </nav>
  )
}
