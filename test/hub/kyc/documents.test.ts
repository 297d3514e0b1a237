import t from 'tap'
import { heardEvents, heardSoFar } from '../helpers/live-events'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { KYC_MASTER_KEY_FILE } from '../../../hub/kyc/master-key'
import { DOCUMENT_SIZE_MAX_BYTES, DOCUMENTS_PER_USER_MAX } from '../../../hub/kyc/routes'
import { errorOf } from '../http/fixtures'
import { call, outbox, restHub, type RestHub, type SignedIn } from '../users/fixtures'

const BOUNDARY = '----payall-test-boundary'
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR passport scan, very secret')])
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n')
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF proof of address')])

type Part = { name: string; value: string } | { name: string; filename: string; contentType: string; content: Buffer }

function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = 'filename' in part
      ? `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.contentType}\r\n\r\n`
      : `Content-Disposition: form-data; name="${part.name}"\r\n\r\n`
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n${disposition}`), 'filename' in part ? part.content : Buffer.from(part.value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } }
}

function upload(hub: RestHub, as: SignedIn | undefined, parts: Part[]) {
  const { payload, headers } = multipart(parts)
  return call(hub.app, as, { method: 'PATCH', url: '/users/update-document', payload, headers })
}

const file = (content: Buffer, contentType = 'image/png'): Part => ({ name: 'file', filename: 'scan', contentType, content })
const kind = (value = 'passport'): Part => ({ name: 'kind', value })

t.test('a PNG, PDF or JPEG is stored encrypted, recognised by its bytes, and waits for review', async (t) => {
  const hub = await restHub(t)
  const response = await upload(hub, hub.customer, [kind('passport'), file(PNG, 'application/octet-stream')])
  t.equal(response.statusCode, 201)
  const document = response.json()
  t.match(document, { userId: hub.customer.userId, kind: 'passport', mediaType: 'image/png', sizeBytes: PNG.length, status: 'pending', reviewedAt: null })
  for (const [content, mediaType] of [[PDF, 'application/pdf'], [JPEG, 'image/jpeg']] as const) {
    const other = await upload(hub, hub.customer, [kind('proof_of_address'), file(content, 'image/png')])
    t.equal(other.json().mediaType, mediaType, 'the bytes decide, not the client’s content type')
  }

  const row = hub.context.db.prepare('SELECT ciphertext, nonce FROM kyc_documents WHERE id = ?').get(document.id) as { ciphertext: Buffer; nonce: Buffer }
  t.notOk(row.ciphertext.includes(Buffer.from('very secret')), 'no plaintext at rest')
  t.equal(row.ciphertext.length, PNG.length + 16, 'secretbox: the plaintext and a 16-byte tag')
  t.equal(row.nonce.length, 24)
  const keyFile = join(hub.context.config.dataDir, KYC_MASTER_KEY_FILE)
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the master key is readable by its owner only')
  t.equal(statSync(keyFile).size, 32)
})

t.test('the owner and an operator download the decrypted file; another customer cannot, whatever ids they send', async (t) => {
  const hub = await restHub(t)
  const { id } = (await upload(hub, hub.customer, [kind(), file(PNG)])).json()
  const url = `/users/${hub.customer.userId}/documents/${id}/file`
  for (const reader of [hub.customer, hub.operator]) {
    const download = await call(hub.app, reader, { method: 'GET', url })
    t.equal(download.statusCode, 200)
    t.equal(download.headers['content-type'], 'image/png')
    t.equal(download.headers['cache-control'], 'no-store')
    t.same(download.rawPayload, PNG)
  }
  const intruder = await call(hub.app, hub.owner, { method: 'GET', url })
  t.equal(intruder.statusCode, 403)
  const disguised = await call(hub.app, hub.owner, { method: 'GET', url: `/users/${hub.owner.userId}/documents/${id}/file` })
  t.equal(disguised.statusCode, 404, 'asking under one’s own id finds nothing either')
  t.notMatch(disguised.body, /secret/)
  t.equal((await call(hub.app, undefined, { method: 'GET', url })).statusCode, 401)
})

t.test('a document tampered with at rest is not served', async (t) => {
  const hub = await restHub(t)
  const first = (await upload(hub, hub.customer, [kind(), file(PNG)])).json()
  const second = (await upload(hub, hub.customer, [kind('proof_of_address'), file(PDF)])).json()
  // Swap the sealed contents of two rows: each box is bound to its document's id.
  const read = hub.context.db.prepare('SELECT nonce, ciphertext, content_sha256 FROM kyc_documents WHERE id = ?')
  const a = read.get(first.id) as Record<string, unknown>
  hub.context.db.prepare('UPDATE kyc_documents SET nonce = ?, ciphertext = ?, content_sha256 = ? WHERE id = ?')
    .run(a.nonce, a.ciphertext, a.content_sha256, second.id)
  const response = await call(hub.app, hub.operator, { method: 'GET', url: `/users/${hub.customer.userId}/documents/${second.id}/file` })
  t.equal(response.statusCode, 500)
  t.equal(errorOf(response).code, 'INTERNAL')
})

t.test('a file that is not a PDF, PNG or JPEG is refused with 415 whatever its declared type', async (t) => {
  const hub = await restHub(t)
  const response = await upload(hub, hub.customer, [kind(), file(Buffer.from('<svg onload="alert(1)"/>'), 'image/png')])
  t.equal(response.statusCode, 415)
  t.equal(errorOf(response).code, 'UNSUPPORTED_MEDIA_TYPE')
  t.equal((hub.context.db.prepare('SELECT count(*) AS count FROM kyc_documents').get() as { count: number }).count, 0)
})

t.test('5 MB is accepted, a byte more is 413, and nothing is stored', async (t) => {
  const hub = await restHub(t)
  const exact = Buffer.concat([PNG, Buffer.alloc(DOCUMENT_SIZE_MAX_BYTES - PNG.length)])
  t.equal((await upload(hub, hub.customer, [kind(), file(exact)])).statusCode, 201)
  const over = await upload(hub, hub.customer, [kind(), file(Buffer.concat([exact, Buffer.from([0])]))])
  t.equal(over.statusCode, 413)
  t.equal(errorOf(over).code, 'PAYLOAD_TOO_LARGE')
  t.equal((hub.context.db.prepare('SELECT count(*) AS count FROM kyc_documents').get() as { count: number }).count, 1)
})

t.test('an upload without a token, without multipart, or with missing, unknown or extra parts is refused', async (t) => {
  const hub = await restHub(t)
  t.equal((await upload(hub, undefined, [kind(), file(PNG)])).statusCode, 401)
  const json = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-document', payload: { file: { type: 'file' }, kind: { value: 'passport' } },
  })
  t.equal(json.statusCode, 415, 'JSON cannot pass for a file')
  t.equal((await upload(hub, hub.customer, [file(PNG)])).statusCode, 400, 'no kind')
  t.equal((await upload(hub, hub.customer, [kind()])).statusCode, 400, 'no file')
  t.equal((await upload(hub, hub.customer, [kind('selfie'), file(PNG)])).statusCode, 400, 'unknown kind')
  t.equal((await upload(hub, hub.customer, [{ name: 'file', value: 'not a file part' }, kind()])).statusCode, 400)
  t.equal((await upload(hub, hub.customer, [kind(), file(PNG), file(PDF)])).statusCode, 413, 'one file per upload')
  t.equal((await upload(hub, hub.customer, [kind(), { name: 'note', value: 'hi' }, file(PNG)])).statusCode, 400, 'unknown part')
})

t.test(`a user keeps at most ${DOCUMENTS_PER_USER_MAX} documents`, async (t) => {
  const hub = await restHub(t)
  for (let upload_ = 0; upload_ < DOCUMENTS_PER_USER_MAX; upload_++) await upload(hub, hub.customer, [kind(), file(PDF)])
  const refused = await upload(hub, hub.customer, [kind(), file(PDF)])
  t.equal(refused.statusCode, 409)
  t.equal(errorOf(refused).code, 'TOO_MANY_DOCUMENTS')
})

t.test('users list their own documents; an operator lists anyone’s; nobody else does', async (t) => {
  const hub = await restHub(t)
  await upload(hub, hub.customer, [kind(), file(PNG)])
  await upload(hub, hub.owner, [kind('business_registration'), file(PDF)])
  const own = await call(hub.app, hub.customer, { method: 'GET', url: '/users/documents' })
  t.same(own.json().documents.map((document: { userId: string }) => document.userId), [hub.customer.userId])
  const byOperator = await call(hub.app, hub.operator, { method: 'GET', url: `/users/${hub.owner.userId}/documents` })
  t.same(byOperator.json().documents.map((document: { kind: string }) => document.kind), ['business_registration'])
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: `/users/${hub.owner.userId}/documents` })).statusCode, 403)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/users/no-such-user/documents' })).statusCode, 404)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/users/bad id/documents' })).statusCode, 400)
})

t.test('an operator approves or rejects a pending document once; the user is told', async (t) => {
  const hub = await restHub(t)
  const first = (await upload(hub, hub.customer, [kind(), file(PNG)])).json()
  const second = (await upload(hub, hub.customer, [kind('proof_of_address'), file(PDF)])).json()
  const base = `/users/${hub.customer.userId}/documents`

  const approved = await call(hub.app, hub.operator, { method: 'POST', url: `${base}/${first.id}/approve` })
  t.equal(approved.statusCode, 200)
  t.match(approved.json(), { status: 'approved', reviewReason: null, reviewedAt: new Date(hub.clock.now_ms()).toISOString() })
  const rejected = await call(hub.app, hub.operator, { method: 'POST', url: `${base}/${second.id}/reject`, payload: { reason: 'blurred' } })
  t.match(rejected.json(), { status: 'rejected', reviewReason: 'blurred' })

  const twice = await call(hub.app, hub.operator, { method: 'POST', url: `${base}/${first.id}/reject` })
  t.equal(twice.statusCode, 409)
  t.equal(errorOf(twice).code, 'DOCUMENT_REVIEWED')
  t.same(outbox(hub, 'document_reviewed').map((message) => message.recipient), [hub.customer.email, hub.customer.email])
  t.match(outbox(hub, 'document_reviewed')[1]!.body, /rejected: “blurred”\./)
})

t.test('only an operator reviews, and only a document of the user named', async (t) => {
  const hub = await restHub(t)
  const { id } = (await upload(hub, hub.customer, [kind(), file(PNG)])).json()
  const url = `/users/${hub.customer.userId}/documents/${id}/approve`
  t.equal((await call(hub.app, hub.customer, { method: 'POST', url })).statusCode, 403, 'not even one’s own')
  t.equal((await call(hub.app, hub.owner, { method: 'POST', url })).statusCode, 403)
  t.equal((await call(hub.app, undefined, { method: 'POST', url })).statusCode, 401)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/users/${hub.owner.userId}/documents/${id}/approve` })).statusCode, 404)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url, payload: { reason: 'x', extra: true } })).statusCode, 400)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url, payload: { reason: 'r'.repeat(501) } })).statusCode, 400)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url, payload: { reason: 'r'.repeat(5000) } })).statusCode, 413)
  const document = hub.context.db.prepare('SELECT status FROM kyc_documents WHERE id = ?').get(id) as { status: string }
  t.equal(document.status, 'pending')
})

t.test('each review is announced to the document\'s user; a second review of it, refused, announces nothing', async (t) => {
  const hub = await restHub(t)
  const heard = heardEvents(hub.services.events)
  const first = (await upload(hub, hub.customer, [kind(), file(PNG)])).json()
  const second = (await upload(hub, hub.customer, [kind('proof_of_address'), file(PDF)])).json()
  const base = `/users/${hub.customer.userId}/documents`
  await call(hub.app, hub.operator, { method: 'POST', url: `${base}/${first.id}/approve` })
  await call(hub.app, hub.operator, { method: 'POST', url: `${base}/${second.id}/reject`, payload: { reason: 'blurred' } })
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `${base}/${first.id}/reject` })).statusCode, 409)
  t.same(await heardSoFar(hub.services.events, heard), [
    { type: 'kyc.reviewed', data: { userId: hub.customer.userId, documentId: first.id, status: 'approved' }, audience: [hub.customer.userId] },
    { type: 'kyc.reviewed', data: { userId: hub.customer.userId, documentId: second.id, status: 'rejected' }, audience: [hub.customer.userId] },
  ])
})
