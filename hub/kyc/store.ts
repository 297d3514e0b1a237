// The kyc_documents table behind prepared statements. Listings never read the ciphertext; only
// sealedById() does, for the one document being opened.

import type { SqliteDatabase } from '../store/database'
import type { Sealed } from './seal'
import type { DocumentMediaType } from './sniff'

export const DOCUMENT_STATUSES = ['pending', 'approved', 'rejected'] as const
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number]

export interface KycDocument {
  readonly id: string
  readonly userId: string
  readonly kind: string
  readonly mediaType: DocumentMediaType
  readonly sizeBytes: number
  readonly contentSha256: string
  readonly status: DocumentStatus
  readonly reviewReason: string | null
  readonly reviewedByUserId: string | null
  readonly uploadedAtMs: number
  readonly reviewedAtMs: number | null
}

export interface NewKycDocument extends Sealed {
  readonly id: string
  readonly userId: string
  readonly kind: string
  readonly mediaType: DocumentMediaType
  readonly sizeBytes: number
  readonly uploadedAtMs: number
}

export interface Review {
  readonly status: 'approved' | 'rejected'
  readonly reason: string | null
  readonly reviewerUserId: string
  readonly reviewedAtMs: number
}

interface DocumentRow {
  id: string
  user_id: string
  kind: string
  media_type: DocumentMediaType
  size_bytes: number
  content_sha256: string
  status: DocumentStatus
  review_reason: string | null
  reviewed_by_user_id: string | null
  uploaded_at_ms: number
  reviewed_at_ms: number | null
}

const COLUMNS = `id, user_id, kind, media_type, size_bytes, content_sha256, status, review_reason, reviewed_by_user_id,
  uploaded_at_ms, reviewed_at_ms`

export class KycStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO kyc_documents (id, user_id, kind, media_type, size_bytes, content_sha256, nonce, ciphertext, status, uploaded_at_ms)
         VALUES (@id, @userId, @kind, @mediaType, @sizeBytes, @contentSha256, @nonce, @ciphertext, 'pending', @uploadedAtMs)`),
      countOfUser: db.prepare<[string], { count: number }>('SELECT count(*) AS count FROM kyc_documents WHERE user_id = ?'),
      byId: db.prepare<[string], DocumentRow>(`SELECT ${COLUMNS} FROM kyc_documents WHERE id = ?`),
      sealed: db.prepare<[string], { nonce: Buffer; ciphertext: Buffer; content_sha256: string }>(
        'SELECT nonce, ciphertext, content_sha256 FROM kyc_documents WHERE id = ?'),
      ofUser: db.prepare<[string, number], DocumentRow>(
        `SELECT ${COLUMNS} FROM kyc_documents WHERE user_id = ? ORDER BY uploaded_at_ms DESC, id LIMIT ?`),
      review: db.prepare<[string, string | null, string, number, string]>(
        `UPDATE kyc_documents SET status = ?, review_reason = ?, reviewed_by_user_id = ?, reviewed_at_ms = ?
         WHERE id = ? AND status = 'pending'`),
      countsByStatus: db.prepare<[], { status: DocumentStatus; count: number }>(
        'SELECT status, count(*) AS count FROM kyc_documents GROUP BY status'),
      countsByStatusOfUser: db.prepare<[string], { status: DocumentStatus; count: number }>(
        'SELECT status, count(*) AS count FROM kyc_documents WHERE user_id = ? GROUP BY status'),
    }
  }

  /** False, and nothing stored, when the user already has `documentsMax` documents. */
  insert(document: NewKycDocument, documents_max: number): boolean {
    return this.db.transaction(() => {
      if (this.statements.countOfUser.get(document.userId)!.count >= documents_max) return false
      this.statements.insert.run({ ...document, nonce: Buffer.from(document.nonce), ciphertext: Buffer.from(document.ciphertext) })
      return true
    })()
  }

  byId(id: string): KycDocument | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : fromRow(row)
  }

  sealedById(id: string): Sealed | undefined {
    const row = this.statements.sealed.get(id)
    if (row === undefined) return undefined
    return { nonce: new Uint8Array(row.nonce), ciphertext: new Uint8Array(row.ciphertext), contentSha256: row.content_sha256 }
  }

  /** The newest first, at most `limit`. */
  ofUser(userId: string, limit: number): KycDocument[] {
    return this.statements.ofUser.all(userId, limit).map(fromRow)
  }

  /** Compare-and-set from pending: false when the document was reviewed already. */
  review(id: string, review: Review): boolean {
    return this.statements.review.run(review.status, review.reason, review.reviewerUserId, review.reviewedAtMs, id).changes === 1
  }

  countsByStatus(userId?: string): Record<DocumentStatus, number> {
    const counts: Record<DocumentStatus, number> = { pending: 0, approved: 0, rejected: 0 }
    const rows = userId === undefined ? this.statements.countsByStatus.all() : this.statements.countsByStatusOfUser.all(userId)
    for (const row of rows) counts[row.status] = row.count
    return counts
  }
}

function fromRow(row: DocumentRow): KycDocument {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    mediaType: row.media_type,
    sizeBytes: row.size_bytes,
    contentSha256: row.content_sha256,
    status: row.status,
    reviewReason: row.review_reason,
    reviewedByUserId: row.reviewed_by_user_id,
    uploadedAtMs: row.uploaded_at_ms,
    reviewedAtMs: row.reviewed_at_ms,
  }
}
