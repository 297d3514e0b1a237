// The KYC documents' store on both engines: a user's documents within their cap (two hubs at once included), listed
// newest first without their ciphertext, opened one at a time, and reviewed once.

import t from 'tap'
import { KycStore, type NewKycDocument } from '../../../hub/kyc/store'
import { engineTests } from '../helpers/engines'
import { addUserRow, secondOn, START_MS } from '../helpers/domain-engines'

const engineTest = engineTests(t)

function document(n: number, userId: string): NewKycDocument {
  return {
    id: `doc_${userId}_${n}`, userId, kind: 'passport', mediaType: 'image/png', sizeBytes: 100 + n, uploadedAtMs: START_MS + n,
    nonce: new Uint8Array(24).fill(n), ciphertext: Uint8Array.from([n, 1, 2, 3]), contentSha256: 'ab'.repeat(32),
  }
}

engineTest('documents within the cap, listed newest first, opened, reviewed once', async (t, factory) => {
  const { engine } = await factory.open(t)
  const documents = new KycStore(engine)
  const userId = await addUserRow(engine)
  const operator = await addUserRow(engine)
  t.equal(await documents.insert(document(1, userId), 2), true)
  t.equal(await documents.insert(document(2, userId), 2), true)
  t.equal(await documents.insert(document(3, userId), 2), false, 'the third is past the cap')
  t.same((await documents.ofUser(userId, 10)).map(d => [d.id, d.status, d.sizeBytes]), [[`doc_${userId}_2`, 'pending', 102], [`doc_${userId}_1`, 'pending', 101]])
  const sealed = await documents.sealedById(`doc_${userId}_1`)
  t.same([[...sealed!.nonce].length, [...sealed!.ciphertext]], [24, [1, 1, 2, 3]])
  t.equal(await documents.sealedById('doc_none'), undefined)
  const review = { status: 'approved', reason: null, reviewerUserId: operator, reviewedAtMs: START_MS + 10 } as const
  t.equal(await engine.write(sql => documents.reviewIn(sql, `doc_${userId}_1`, review)), true)
  t.equal(await engine.write(sql => documents.reviewIn(sql, `doc_${userId}_1`, { ...review, status: 'rejected' })), false, 'reviewed once')
  t.match(await documents.byId(`doc_${userId}_1`), { status: 'approved', reviewedByUserId: operator, reviewedAtMs: START_MS + 10, reviewReason: null })
  t.same(await documents.countsByStatus(userId), { pending: 1, approved: 1, rejected: 0 })
  t.same(await documents.countsByStatus(), { pending: 1, approved: 1, rejected: 0 })
})

engineTest('two hubs uploading at once cannot pass a user\'s cap together', async (t, factory) => {
  const opened = await factory.open(t)
  const one = new KycStore(opened.engine)
  const two = new KycStore((await secondOn(t, opened)).engine)
  const userId = await addUserRow(opened.engine)
  const stored = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(n => (n % 2 === 0 ? one : two).insert(document(n, userId), 3)))
  t.equal(stored.filter(Boolean).length, 3)
  t.equal((await one.ofUser(userId, 10)).length, 3)
})
