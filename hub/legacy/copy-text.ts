// One data line of a COPY … FROM stdin block in PostgreSQL's text format: tab-separated fields, \N for
// NULL, backslash escapes, and a line of just \. to end the block.

import { DumpError } from './errors'
import { unescapePostgresql } from './escapes'

/** The line that ends a COPY block's data. */
export const END_OF_COPY = '\\.'

/** The fields of a COPY data line, decoded; `width` is how many the block's columns call for. */
export function copyFields(text: string, line: number, width: number): (string | null)[] {
  const fields = text.split('\t')
  if (fields.length !== width) {
    throw new DumpError('COLUMN_COUNT', line, `a COPY row of ${fields.length} values for ${width} columns`)
  }
  return fields.map(field => field === '\\N' ? null : unescapePostgresql(field, line, ''))
}
