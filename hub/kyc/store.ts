// The kyc_documents table, on either engine (hub/store/sql.ts). Listings never read the ciphertext; only
// sealedById() does, for the one document being opened.

import { lockKey } from '../store/key-lock'
import type { SqlEngine, SqlQuery, SqlRow } from '../store/sql'
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

interface DocumentRow extends SqlRow {
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
  constructor(private readonly engine: SqlEngine) {}

  /**
   * False, and nothing stored, when the user already has `documentsMax` documents. The user's uploads pass the cap one
   * at a time, from whichever hub (key-lock.ts).
   */
  insert(document: NewKycDocument, documents_max: number): Promise<boolean> {
    return this.engine.write(async (sql) => {
      await lockKey(sql, this.engine.dialect, 'documentsOfUser', document.userId)
      const count = await sql.get<{ count: number }>('SELECT count(*) AS count FROM kyc_documents WHERE user_id = ?', [document.userId])
      if (count!.count >= documents_max) return false
      await sql.run(
        `INSERT INTO kyc_documents (id, user_id, kind, media_type, size_bytes, content_sha256, nonce, ciphertext, status, uploaded_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
        [document.id, document.userId, document.kind, document.mediaType, document.sizeBytes, document.contentSha256,
          Buffer.from(document.nonce), Buffer.from(document.ciphertext), document.uploadedAtMs])
      return true
    })
  }

  async byId(id: string): Promise<KycDocument | undefined> {
    const row = await this.engine.get<DocumentRow>(`SELECT ${COLUMNS} FROM kyc_documents WHERE id = ?`, [id])
    return row === undefined ? undefined : fromRow(row)
  }

  async sealedById(id: string): Promise<Sealed | undefined> {
    const row = await this.engine.get<{ nonce: Buffer; ciphertext: Buffer; content_sha256: string }>(
      'SELECT nonce, ciphertext, content_sha256 FROM kyc_documents WHERE id = ?', [id])
    if (row === undefined) return undefined
    return { nonce: new Uint8Array(row.nonce), ciphertext: new Uint8Array(row.ciphertext), contentSha256: row.content_sha256 }
  }

  /** The newest first, at most `limit`. */
  async ofUser(userId: string, limit: number): Promise<KycDocument[]> {
    const rows = await this.engine.all<DocumentRow>(
      `SELECT ${COLUMNS} FROM kyc_documents WHERE user_id = ? ORDER BY uploaded_at_ms DESC, id LIMIT ?`, [userId, limit])
    return rows.map(fromRow)
  }

  /**
   * Compare-and-set from pending, in the caller's write (with the audit entry of the review): false when the document
   * was reviewed already, by this hub or another.
   */
  async reviewIn(sql: SqlQuery, id: string, review: Review): Promise<boolean> {
    const reviewed = await sql.run(
      `UPDATE kyc_documents SET status = ?, review_reason = ?, reviewed_by_user_id = ?, reviewed_at_ms = ?
       WHERE id = ? AND status = 'pending'`,
      [review.status, review.reason, review.reviewerUserId, review.reviewedAtMs, id])
    return reviewed.changes === 1
  }

  async countsByStatus(userId?: string): Promise<Record<DocumentStatus, number>> {
    const counts: Record<DocumentStatus, number> = { pending: 0, approved: 0, rejected: 0 }
    const rows = userId === undefined
      ? await this.engine.all<{ status: DocumentStatus; count: number }>('SELECT status, count(*) AS count FROM kyc_documents GROUP BY status')
      : await this.engine.all<{ status: DocumentStatus; count: number }>(
        'SELECT status, count(*) AS count FROM kyc_documents WHERE user_id = ? GROUP BY status', [userId])
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
