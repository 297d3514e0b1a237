// What the legacy dump readers yield: one table row, its values as the text the dump meant.

/**
 * One row of a legacy table. `values[i]` is the value of `columns[i]`: decoded text, a number as its
 * literal text (so a DECIMAL amount stays exact), or null for SQL NULL. Tables are named without their
 * schema (`public.users` is `users`).
 */
export interface DumpRow {
  readonly table: string
  readonly columns: readonly string[]
  readonly values: readonly (string | null)[]
}

/** The bound on what a reader holds at once: one value, COPY line or CSV record, in UTF-16 code units. */
export const VALUE_CHARS_MAX_DEFAULT = 16 * 1024 * 1024
