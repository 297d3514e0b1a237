// What a KYC file is, from its first bytes rather than from what the client claims: PDF, PNG or JPEG. Pure.

export const DOCUMENT_MEDIA_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const
export type DocumentMediaType = (typeof DOCUMENT_MEDIA_TYPES)[number]

const SIGNATURES: ReadonlyArray<{ mediaType: DocumentMediaType; magic: readonly number[] }> = [
  { mediaType: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { mediaType: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mediaType: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
]

/** The media type the bytes start like, or undefined for anything else. */
export function sniffDocumentType(bytes: Uint8Array): DocumentMediaType | undefined {
  return SIGNATURES.find(({ magic }) => bytes.length > magic.length && magic.every((byte, index) => bytes[index] === byte))?.mediaType
}
