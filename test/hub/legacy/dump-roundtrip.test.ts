import { deepStrictEqual } from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import { readCsvTable } from '../../../hub/legacy/csv-reader'
import { readSqlDump } from '../../../hub/legacy/dump-reader'
import { csvExport, mysqlDump, pgDump, pieceSizesArbitrary, piecesOf, readAll, rowsOf, tablesArbitrary } from './dump-writers'

const SEED = 20240519

t.test('reads back every row of a random pg_dump fed in random pieces', async t => {
  await fc.assert(fc.asyncProperty(tablesArbitrary, pieceSizesArbitrary, async (tables, sizes) => {
    deepStrictEqual(await readAll(readSqlDump(piecesOf(pgDump(tables), sizes), 'postgresql')), rowsOf(tables))
  }), { seed: SEED, numRuns: 150 })
  t.pass('150 dumps read back')
})

t.test('reads back every row of a random mysqldump fed in random pieces', async t => {
  await fc.assert(fc.asyncProperty(tablesArbitrary, pieceSizesArbitrary, async (tables, sizes) => {
    deepStrictEqual(await readAll(readSqlDump(piecesOf(mysqlDump(tables), sizes), 'mysql')), rowsOf(tables))
  }), { seed: SEED, numRuns: 150 })
  t.pass('150 dumps read back')
})

t.test('reads back every row of a random CSV export fed in random pieces', async t => {
  await fc.assert(fc.asyncProperty(tablesArbitrary, pieceSizesArbitrary, async (tables, sizes) => {
    const table = tables[0]!
    deepStrictEqual(await readAll(readCsvTable(piecesOf(csvExport(table), sizes), table.name)), rowsOf([table]))
  }), { seed: SEED, numRuns: 150 })
  t.pass('150 dumps read back')
})
