// The JSON schemas of what users send, shared by the users' routes and the mobile API's: emails, passwords,
// opaque tokens, full names and the codes that prove a phone or an email, with the body limit of the auth routes.

import { printableLine } from '../http/text'
import { PROOF_CODE_DIGITS } from './one-time-code'

export const EMAIL_LENGTH_MAX = 254
const PASSWORD_LENGTH_MAX = 1024
/** Refresh and reset tokens are 43 characters of base64url; anything far longer is not one. */
const OPAQUE_TOKEN_LENGTH_MAX = 256
/** Auth routes take tiny bodies. */
export const AUTH_BODY_LIMIT_BYTES = 8 * 1024

export const PASSWORD_SCHEMA = { type: 'string', minLength: 1, maxLength: PASSWORD_LENGTH_MAX } as const
export const OPAQUE_TOKEN_SCHEMA = { type: 'string', minLength: 1, maxLength: OPAQUE_TOKEN_LENGTH_MAX } as const

export const FULL_NAME_LENGTH_MAX = 200

/** A person's full name, as every route that takes one checks it. */
export const FULL_NAME_SCHEMA = printableLine(FULL_NAME_LENGTH_MAX)

/** The code as the SMS or the email gives it. */
export const PROOF_CODE_SCHEMA = { type: 'string', pattern: `^[0-9]{${PROOF_CODE_DIGITS}}$` } as const
