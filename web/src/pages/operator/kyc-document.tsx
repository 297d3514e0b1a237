// One KYC document under review: its facts, its decrypted file fetched only when the operator opens it
// (an image shown inline, a PDF offered as a download) and forgotten when it closes, and the decision.

import { useEffect, useState } from 'preact/hooks'
import { apiBlob, http } from '../../api'
import { useSubmit } from '../../components/form'
import { DateTime, ErrorMessage } from '../../components/ui'
import { formatNumber, useT } from '../../i18n'
import { ReasonForm } from './parts'
import type { KycDocument } from './types'

const KIB_BYTES = 1024

/** The decrypted file as a blob: URL while it is shown; the URL is revoked when the viewer goes away. */
function FileViewer({ document: doc, alt }: { document: KycDocument; alt: string }) {
  const t = useT()
  const k = t.operator.kyc
  const [url, setUrl] = useState<string | undefined>(undefined)
  const open = useSubmit(async () => {
    const blob = await apiBlob(`/users/${encodeURIComponent(doc.userId)}/documents/${encodeURIComponent(doc.id)}/file`)
    setUrl(URL.createObjectURL(blob))
  })
  useEffect(() => () => {
    if (url !== undefined) URL.revokeObjectURL(url)
  }, [url])
  if (url === undefined) {
    return (
      <>
        <button type="button" disabled={open.busy} onClick={open.onSubmit}>{k.view}</button>
        <ErrorMessage error={open.error} />
      </>
    )
  }
  return (
    <div class="document-view">
      {doc.mediaType === 'application/pdf'
        ? <p><a href={url} download={`${doc.kind}-${doc.id}.pdf`}>{k.downloadPdf}</a></p>
        : <img src={url} alt={alt} class="document-image" />}
      <button type="button" onClick={() => setUrl(undefined)}>{k.hide}</button>
    </div>
  )
}

function Decide({ document: doc, onDecided }: { document: KycDocument; onDecided: (status: 'approved' | 'rejected') => void }) {
  const t = useT()
  const k = t.operator.kyc
  const path = `/users/${encodeURIComponent(doc.userId)}/documents/${encodeURIComponent(doc.id)}`
  return (
    <div class="decision">
      <ReasonForm id={`approve-${doc.id}`} label={k.approveNote} submit={k.approve} required={false}
        onSubmit={async (reason) => {
          await http.post(`${path}/approve`, reason === '' ? {} : { reason })
          onDecided('approved')
        }} />
      <ReasonForm id={`reject-${doc.id}`} label={k.rejectReason} submit={k.reject} required danger
        onSubmit={async (reason) => {
          await http.post(`${path}/reject`, { reason })
          onDecided('rejected')
        }} />
    </div>
  )
}

export function DocumentCard({ document: doc, owner, onDecided }: { document: KycDocument; owner: string; onDecided: (status: 'approved' | 'rejected') => void }) {
  const t = useT()
  const k = t.operator.kyc
  return (
    <li class="card">
      <h3 class="card-title">{k.kind[doc.kind]}</h3>
      <dl class="facts ops-facts">
        <dt>{t.table.status}</dt><dd>{k.status[doc.status]}</dd>
        <dt>{k.uploaded}</dt><dd><DateTime atMs={doc.uploadedAt} /></dd>
        <dt>{k.file}</dt><dd>{k.fileOf(k.mediaType[doc.mediaType], formatNumber(Math.ceil(doc.sizeBytes / KIB_BYTES)))}</dd>
        <dt>{k.sha256}</dt><dd class="mono">{doc.sha256}</dd>
        {doc.reviewedAt === null ? null : <><dt>{k.reviewed}</dt><dd><DateTime atMs={doc.reviewedAt} /></dd></>}
        {doc.reviewReason === null ? null : <><dt>{k.reason}</dt><dd class="user-text">{doc.reviewReason}</dd></>}
      </dl>
      <FileViewer document={doc} alt={k.imageAlt(k.kind[doc.kind], owner)} />
      {doc.status === 'pending' ? <Decide document={doc} onDecided={onDecided} /> : null}
    </li>
  )
}
