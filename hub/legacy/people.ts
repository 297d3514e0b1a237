// One PayAll user per person: the web backend's and the mobile backend's records of one person joined, by the
// mobile record's id_user_ext (the web user's id) where it is set, else by email, else by phone, and the choice
// reported. What the joined person's user is made of (email, phone, name, password) is decided here too.

import type { MobileUser, RowRefusal, WebUser } from './records'

export type JoinedBy = 'id_user_ext' | 'email' | 'phone'

export interface Person {
  readonly web: WebUser | undefined
  readonly mobile: MobileUser | undefined
  /** How the two records were found to be one person; null when there is only one. */
  readonly joinedBy: JoinedBy | null
}

/** A phone number in E.164, or why the text is not one. */
export type PhoneReader = (text: string) => { readonly phone: string } | { readonly problem: string }

export interface JoinedPeople {
  readonly people: Person[]
  /** Rows with a key seen before in their table. */
  readonly refusals: RowRefusal[]
}

export function normalizedEmail(text: string | null): string | null {
  return text === null ? null : text.trim().toLowerCase()
}

/** The web users (each with its mobile record when there is one), then the mobile users no web user matched. */
export function joinPeople(webUsers: readonly WebUser[], mobileUsers: readonly MobileUser[], readPhone: PhoneReader): JoinedPeople {
  const refusals: RowRefusal[] = []
  const webById = new Map<string, WebUser>()
  const byEmail = new Map<string, WebUser>()
  const byPhone = new Map<string, WebUser>()
  for (const user of webUsers) {
    if (webById.has(user.id)) {
      refusals.push({ system: 'web', table: 'users', key: user.id, reason: 'DUPLICATE_KEY', detail: `a second row with id ${user.id}` })
      continue
    }
    webById.set(user.id, user)
    const email = normalizedEmail(user.email)
    if (email !== null && !byEmail.has(email)) byEmail.set(email, user)
    const phone = user.phone === null ? undefined : readPhone(user.phone)
    if (phone !== undefined && 'phone' in phone && !byPhone.has(phone.phone)) byPhone.set(phone.phone, user)
  }
  const mobileOf = new Map<string, { mobile: MobileUser; joinedBy: JoinedBy }>()
  const unjoined: MobileUser[] = []
  const mobileIds = new Set<string>()
  for (const user of mobileUsers) {
    if (mobileIds.has(user.id)) {
      refusals.push({ system: 'mobile', table: 'users', key: user.id, reason: 'DUPLICATE_KEY', detail: `a second row with id ${user.id}` })
      continue
    }
    mobileIds.add(user.id)
    const match = matchOf(user, webById, byEmail, byPhone, readPhone)
    if (match === undefined || mobileOf.has(match.web.id)) unjoined.push(user)
    else mobileOf.set(match.web.id, { mobile: user, joinedBy: match.joinedBy })
  }
  const people: Person[] = [...webById.values()].map(web => {
    const joined = mobileOf.get(web.id)
    return { web, mobile: joined?.mobile, joinedBy: joined?.joinedBy ?? null }
  })
  for (const mobile of unjoined) people.push({ web: undefined, mobile, joinedBy: null })
  return { people, refusals }
}

function matchOf(
  user: MobileUser, webById: ReadonlyMap<string, WebUser>, byEmail: ReadonlyMap<string, WebUser>,
  byPhone: ReadonlyMap<string, WebUser>, readPhone: PhoneReader,
): { web: WebUser; joinedBy: JoinedBy } | undefined {
  // id_user_ext names the web user outright: when it names none, email and phone are not tried in its place.
  if (user.webUserId !== null) {
    const web = webById.get(user.webUserId)
    return web === undefined ? undefined : { web, joinedBy: 'id_user_ext' }
  }
  const email = normalizedEmail(user.email)
  const byMail = email === null ? undefined : byEmail.get(email)
  if (byMail !== undefined) return { web: byMail, joinedBy: 'email' }
  const phone = user.phone === null ? undefined : readPhone(user.phone)
  const byNumber = phone !== undefined && 'phone' in phone ? byPhone.get(phone.phone) : undefined
  return byNumber === undefined ? undefined : { web: byNumber, joinedBy: 'phone' }
}

/** The record whose password a joined person keeps: the one changed last (the mobile one on a tie or unknown times). */
export function passwordSource(person: Person): 'web' | 'mobile' {
  const { web, mobile } = person
  if (web === undefined || web.password === null) return 'mobile'
  if (mobile === undefined || mobile.password === null) return 'web'
  const webAt_ms = web.updatedAt_ms ?? web.createdAt_ms ?? 0
  const mobileAt_ms = mobile.updatedAt_ms ?? mobile.createdAt_ms ?? 0
  return webAt_ms > mobileAt_ms ? 'web' : 'mobile'
}

/** The name PayAll shows: the web backend's full name, else the mobile one's name and surname. */
export function fullNameOf(person: Person): string {
  if (person.web?.fullName != null) return person.web.fullName
  const mobile = person.mobile
  return [mobile?.name, mobile?.surname].filter(part => part != null).join(' ')
}

/** The key the person's refusal is reported under: their web row, else their mobile row. */
export function personKey(person: Person): { readonly system: 'web' | 'mobile'; readonly key: string } {
  return person.web === undefined ? { system: 'mobile', key: person.mobile!.id } : { system: 'web', key: person.web.id }
}
