// KYC documents (listed in hub/store/migrations.ts): the file only as secretbox ciphertext under a
// key derived from the hub's master key and the document id; the operator's review beside it.

export const KYC_SQL = `
CREATE TABLE kyc_documents (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
  media_type TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
  content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),
  nonce BLOB NOT NULL CHECK (length(nonce) = 24),
  ciphertext BLOB NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  review_reason TEXT CHECK (review_reason IS NULL OR length(review_reason) <= 500),
  reviewed_by_user_id TEXT REFERENCES users (id),
  uploaded_at_ms INTEGER NOT NULL,
  reviewed_at_ms INTEGER,
  CHECK ((status = 'pending') = (reviewed_at_ms IS NULL))
) STRICT;
CREATE INDEX kyc_documents_by_user ON kyc_documents (user_id, uploaded_at_ms);
CREATE INDEX kyc_documents_by_status ON kyc_documents (status);
`
