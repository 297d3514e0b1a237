import t from 'tap'
import { readCsvTable } from '../../../hub/legacy/csv-reader'
import { piecesOf, readAll } from './dump-writers'

t.test('reads a CSV export: quoted fields, NULL as an empty field, "" as the empty string, non-ASCII, exact amounts', async t => {
  const csv = '\uFEFFid,full_name,balance,note\r\n1,"O\'Brien, ""Bob""",0.10,\r\n2,Zoé 😀,99999999.99,""\r\n3,"two\nlines\ttab \\ back",-5.00,x\r\n'
  t.strictSame(await readAll(readCsvTable(piecesOf(csv, [2, 5, 1]), 'account')), [
    { table: 'account', columns: ['id', 'full_name', 'balance', 'note'], values: ['1', 'O\'Brien, "Bob"', '0.10', null] },
    { table: 'account', columns: ['id', 'full_name', 'balance', 'note'], values: ['2', 'Zoé 😀', '99999999.99', ''] },
    { table: 'account', columns: ['id', 'full_name', 'balance', 'note'], values: ['3', 'two\nlines\ttab \\ back', '-5.00', 'x'] },
  ])
})

t.test('reads a CSV export with only a header as no rows', async t => {
  t.strictSame(await readAll(readCsvTable(piecesOf('id,name\n'), 'users')), [])
})
