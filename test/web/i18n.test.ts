// The dashboard's dictionaries: French has every English string, and every error code the hub can answer
// with has a sentence in both languages (a new code without one fails here).

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { en } from '../../web/src/i18n/en'
import { fr } from '../../web/src/i18n/fr'

const ROOT = join(__dirname, '..', '..')

/** The string literals of `export type <name> =` up to the first line that does not continue the union. */
function unionCodes(file: string, name: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8')
  const start = source.indexOf(`export type ${name} =`)
  if (start < 0) throw new Error(`${name} is not in ${file}`)
  // The union runs until the first line that is neither a member (| ...) nor a comment.
  const union = source.slice(start).split(/\n(?!\s*(\||\/\/|\/\*))/)[0]!
  return [...union.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((found) => found[1]!)
}

/** The paths to every string, keys joined by ' / ' (some keys, the audit actions, hold dots). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix]
  return Object.entries(value).flatMap(([key, inner]) => leafPaths(inner, prefix === '' ? key : `${prefix} / ${key}`))
}

t.test('every error code of the hub has an English and a French sentence', async (t) => {
  const codes = [
    ...unionCodes('hub/http/errors.ts', 'HttpErrorCode'),
    ...unionCodes('protocol/errors.ts', 'ProtocolErrorCode'),
    ...unionCodes('hub/ledger/errors.ts', 'LedgerErrorCode'),
  ]
  t.ok(codes.length > 60, `${codes.length} codes found`)
  const english = en.errors as Record<string, string>
  const french = fr.errors as Record<string, string>
  t.same(codes.filter((code) => english[code] === undefined), [], 'codes without English')
  t.same(codes.filter((code) => french[code] === undefined), [], 'codes without French')
})

t.test('French has every English string, and translates it', async (t) => {
  t.same(leafPaths(fr).sort(), leafPaths(en).sort())
  const same = leafPaths(en).filter((path) => {
    const get = (root: unknown) => path.split(' / ').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root)
    const english = get(en)
    return typeof english === 'string' && english.length > 12 && english === get(fr)
  })
  t.same(same, [], 'sentences left in English')
})
