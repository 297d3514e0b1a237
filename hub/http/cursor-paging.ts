// Cursor paging, the one way a list goes a page at a time by cursor: `limit` and `before` (the `next` of the page
// before) in the querystring, `next` in the reply, null on the last page. A cursor is text the hub gave; other text is 400.

import { HttpError } from './errors'

/** How one list writes its cursor as text, and reads it back. */
export interface CursorCodec<Cursor> {
  /** The text a cursor is written as: its pattern and length, for the querystring and the reply schemas. */
  readonly textSchema: { readonly type: 'string'; readonly pattern: string; readonly maxLength: number }
  text(cursor: Cursor): string
  /** The cursor written as this text, or undefined when the hub writes none so. */
  parse(text: string): Cursor | undefined
}

/** A cursor that is a row id, written in decimal. */
export const ID_CURSOR: CursorCodec<number> = {
  textSchema: { type: 'string', pattern: '^[1-9][0-9]{0,14}$', maxLength: 15 },
  text: id => String(id),
  parse: text => (/^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : undefined),
}

export interface CursorPaging<Cursor> {
  /** The `limit` and `before` properties of a list's querystring schema. */
  readonly querystring: {
    readonly limit: { readonly type: 'integer'; readonly minimum: 1; readonly maximum: number; readonly default: number }
    readonly before: CursorCodec<Cursor>['textSchema'] & { readonly description: string }
  }
  /** The schema of the reply's `next`. */
  readonly nextSchema: { readonly anyOf: readonly [CursorCodec<Cursor>['textSchema'], { readonly type: 'null' }] }
  /** What a list's description says of its paging. */
  readonly description: string
  /** The cursor a request's `before` names; undefined without one; 400 BAD_REQUEST on text the hub never gave. */
  cursorOf(before: string | undefined): Cursor | undefined
  /** The reply's `next`: the text of the cursor after this page, or null on the last. */
  nextOf(cursor: Cursor | null): string | null
}

/** Paging by `codec`'s cursors, pages of 1..page_max items, pageDefault when `limit` is not given. */
export function cursorPaging<Cursor>(codec: CursorCodec<Cursor>, pages: { page_max: number; pageDefault: number }): CursorPaging<Cursor> {
  return {
    querystring: {
      limit: { type: 'integer', minimum: 1, maximum: pages.page_max, default: pages.pageDefault },
      before: { ...codec.textSchema, description: 'a cursor: the `next` of the page before' },
    },
    nextSchema: { anyOf: [codec.textSchema, { type: 'null' }] },
    description: 'Page with `before` = the `next` of the page before; `next` is null on the last.',
    cursorOf(before) {
      if (before === undefined) return undefined
      const cursor = codec.parse(before)
      if (cursor === undefined) {
        throw new HttpError(400, 'BAD_REQUEST', 'before is not a cursor this hub gave: pass the `next` of the page before')
      }
      return cursor
    },
    nextOf: cursor => (cursor === null ? null : codec.text(cursor)),
  }
}
