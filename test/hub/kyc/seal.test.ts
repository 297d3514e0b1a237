import t from 'tap'
import { openDocument, sealDocument } from '../../../hub/kyc/seal'
import { sniffDocumentType } from '../../../hub/kyc/sniff'
import { seededRandom } from '../http/fixtures'

t.test('sniffing knows PDF, PNG and JPEG by their first bytes and nothing else', async (t) => {
  t.equal(sniffDocumentType(Buffer.from('%PDF-1.4\n')), 'application/pdf')
  t.equal(sniffDocumentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'image/png')
  t.equal(sniffDocumentType(Buffer.from([0xff, 0xd8, 0xff, 0xdb])), 'image/jpeg')
  t.equal(sniffDocumentType(Buffer.from('GIF89a....')), undefined)
  t.equal(sniffDocumentType(Buffer.from('%PDF-')), undefined, 'a signature alone is no document')
  t.equal(sniffDocumentType(new Uint8Array()), undefined)
})

t.test('a sealed document opens under its master key and id only', async (t) => {
  const random = seededRandom('seal')
  const key = random(32)
  const content = new TextEncoder().encode('%PDF-1.7 identity card')
  const sealed = sealDocument(key, 'doc_1', content, random)
  t.same(openDocument(key, 'doc_1', sealed), content)
  t.equal(openDocument(key, 'doc_2', sealed), undefined, 'moved to another document')
  t.equal(openDocument(random(32), 'doc_1', sealed), undefined, 'another key')
  const flipped = Uint8Array.from(sealed.ciphertext)
  flipped[0]! ^= 1
  t.equal(openDocument(key, 'doc_1', { ...sealed, ciphertext: flipped }), undefined, 'tampered')
  t.not(sealDocument(key, 'doc_1', content, random).nonce.toString(), sealed.nonce.toString(), 'a fresh nonce each time')
})
