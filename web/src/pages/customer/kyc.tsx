// The customer's identity documents: uploading one (PDF, PNG or JPEG up to 5 MB, as the hub accepts) and
// each one's review, which updates as soon as an operator decides.

import { useRef, useState } from 'preact/hooks'
import { http, signedInUser } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Field, Loading, Page, Section, Table } from '../../components/ui'
import { useLiveEvent } from '../../events'
import { useT } from '../../i18n'
import { SelectField, Status } from './shared'

/** PATCH /users/update-document's kinds and bounds. */
const DOCUMENT_KINDS = ['national_id', 'passport', 'driving_licence', 'proof_of_address', 'business_registration'] as const
const DOCUMENT_BYTES_MAX = 5_242_880
const DOCUMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg']

type DocumentKind = (typeof DOCUMENT_KINDS)[number]

interface KycDocument {
  id: string
  kind: DocumentKind
  status: 'pending' | 'approved' | 'rejected'
  reviewReason: string | null
  uploadedAt: string
  reviewedAt: string | null
}

export function Kyc() {
  const t = useT()
  const documents = useResource<{ documents: KycDocument[] }>('/users/documents', ['kyc.reviewed'])
  const [news, setNews] = useState<string | undefined>(undefined)
  useLiveEvent('kyc.reviewed', (event) => {
    const reviewed = documents.data?.documents.find((document) => document.id === event.documentId)
    if (event.userId !== signedInUser()?.id || reviewed === undefined) return
    setNews(t.customer.kyc.reviewed(t.customer.documentKind[reviewed.kind], t.customer.documentStatus[event.status]))
  })
  return (
    <Page title={t.customer.kyc.title}>
      <p>{t.customer.kyc.intro}</p>
      <UploadDocument onUploaded={documents.reload} />
      <Section title={t.customer.kyc.documents} id="documents">
        <p class="muted">{t.customer.kyc.documentsLive}</p>
        <Status text={news} />
        <ErrorMessage error={documents.error} />
        {documents.data === undefined ? (documents.error === undefined ? <Loading /> : null) : <DocumentTable documents={documents.data.documents} />}
      </Section>
    </Page>
  )
}

/** What is wrong with the chosen file before it is sent, or undefined when the hub may judge it. */
function fileProblem(file: File | null, k: ReturnType<typeof useT>['customer']['kyc']): string | undefined {
  if (file === null || file.size === 0) return k.fileMissing
  if (file.size > DOCUMENT_BYTES_MAX) return k.fileTooLarge
  // The hub reads the type from the file's first bytes; the browser's guess only saves a pointless upload.
  if (file.type !== '' && !DOCUMENT_TYPES.includes(file.type)) return k.fileType
  return undefined
}

function UploadDocument({ onUploaded }: { onUploaded: () => void }) {
  const t = useT()
  const k = t.customer.kyc
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [uploaded, setUploaded] = useState(false)
  const formElement = useRef<HTMLFormElement>(null)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    setUploaded(false)
    const file = form.get('file') as File | null
    setProblem(fileProblem(file, k))
    if (fileProblem(file, k) !== undefined) return
    // The kind first: the hub reads the parts in order.
    const body = new FormData()
    body.append('kind', String(form.get('kind')))
    body.append('file', file!)
    await http.patch('/users/update-document', body)
    setUploaded(true)
    formElement.current?.reset()
    onUploaded()
  })
  return (
    <Section title={k.upload} id="upload-document">
      <Status text={uploaded ? k.uploaded : undefined} />
      <form class="narrow" onSubmit={onSubmit} noValidate ref={formElement}>
        <SelectField label={k.kind} name="kind" options={DOCUMENT_KINDS.map((kind) => ({ value: kind, label: t.customer.documentKind[kind] }))} />
        <Field label={k.file} name="file" type="file" accept={DOCUMENT_TYPES.join(',')} required hint={k.fileHint} error={problem} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>{busy ? k.uploading : k.submit}</button>
      </form>
    </Section>
  )
}

function DocumentTable({ documents }: { documents: KycDocument[] }) {
  const t = useT()
  const k = t.customer.kyc
  return (
    <Table caption={k.documentsCaption} head={[k.kind, k.uploadedAt, t.table.status, k.reviewedAt, k.reason]} empty={documents.length === 0}>
      {documents.map((document) => (
        <tr key={document.id}>
          <td>{t.customer.documentKind[document.kind]}</td>
          <td><DateTime atMs={document.uploadedAt} /></td>
          <td><span class={`badge kyc-${document.status}`}>{t.customer.documentStatus[document.status]}</span></td>
          <td><DateTime atMs={document.reviewedAt} /></td>
          <td>{document.reviewReason ?? t.app.none}</td>
        </tr>
      ))}
    </Table>
  )
}
