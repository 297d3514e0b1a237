// A start-up step for numbers stored before the hub asked for proof (PHONE_VERIFICATION_SQL): they were kept as typed
// ("786365771", "00221 78 636 57 71"), so one number could be three accounts. Each is rewritten in E.164, still
// unproved. Numbers that turn out to be the same are not merged: every account involved keeps what it had, and the
// log names them for an operator; so does a number that is not a valid one.

import type { FastifyBaseLogger } from 'fastify'
import { HttpError } from '../http/errors'
import type { SqlEngine, SqlRow } from '../store/sql'
import { phoneNumberOf, type PhoneRegion } from './phone'

/** How many accounts one log line names; the counts are always whole. */
const LOGGED_ACCOUNTS_MAX = 50

export interface StoredPhonesReport {
  /** Accounts whose number is now in E.164. */
  readonly rewritten: number
  /** Numbers that two or more accounts share once written alike: none of them was changed. */
  readonly collisions: ReadonlyArray<{ readonly phone: string; readonly userIds: readonly string[] }>
  /** Accounts whose stored number is no valid number (with the region's numbers for those without a country code). */
  readonly unreadable: readonly string[]
}

interface StoredPhone extends SqlRow {
  id: string
  phone: string
}

export async function normalizeStoredPhones(engine: SqlEngine, region: PhoneRegion, log: FastifyBaseLogger): Promise<StoredPhonesReport> {
  const report = await engine.write(async (sql) => {
    // Unproved numbers only: a proved one went through phoneNumberOf on its way in.
    const stored = await sql.all<StoredPhone>('SELECT id, phone FROM users WHERE phone IS NOT NULL AND phone_verified_at_ms IS NULL')
    const byNumber = new Map<string, StoredPhone[]>()
    const unreadable: string[] = []
    for (const row of stored) {
      const number = e164Of(row.phone, region)
      if (number === undefined) unreadable.push(row.id)
      else byNumber.set(number, [...(byNumber.get(number) ?? []), row])
    }
    let rewritten = 0
    const collisions: Array<{ phone: string; userIds: string[] }> = []
    for (const [number, rows] of byNumber) {
      const holders = await sql.all<{ id: string }>('SELECT id FROM users WHERE phone = ?', [number])
      const userIds = new Set([...rows.map((row) => row.id), ...holders.map((holder) => holder.id)])
      if (userIds.size > 1) {
        collisions.push({ phone: number, userIds: [...userIds] })
      } else if (rows[0]!.phone !== number) {
        await sql.run('UPDATE users SET phone = ? WHERE id = ?', [number, rows[0]!.id])
        rewritten++
      }
    }
    return { rewritten, collisions, unreadable }
  })

  if (report.rewritten > 0) log.info({ rewritten: report.rewritten }, 'stored phone numbers rewritten in E.164, still to be proved')
  if (report.collisions.length > 0) {
    log.warn({
      numbers: report.collisions.length,
      collisions: report.collisions.slice(0, LOGGED_ACCOUNTS_MAX),
    }, 'accounts share a phone number once it is written in E.164: none was changed or merged; an operator decides whose it is')
  }
  if (report.unreadable.length > 0) {
    log.warn({ accounts: report.unreadable.length, userIds: report.unreadable.slice(0, LOGGED_ACCOUNTS_MAX) },
      'accounts hold a stored phone that is no valid number: left as it is; nobody can log in with it or be paid at it')
  }
  return report
}

function e164Of(stored: string, region: PhoneRegion): string | undefined {
  try {
    return phoneNumberOf(stored, region)
  } catch (error) {
    if (error instanceof HttpError && error.code === 'BAD_PHONE') return undefined
    throw error
  }
}
