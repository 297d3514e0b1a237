// The live event ids' reservations on both engines (SQLite, PostgreSQL): blocks that follow one another, and that
// never overlap when hubs on one database reserve at once.

import t from 'tap'
import { EventIdStore } from '../../../hub/events/sequence-store'
import { engineTests } from '../helpers/engines'
import { twoHubs } from '../helpers/two-hubs'

const root = t
const engineTest = engineTests(t)

engineTest('blocks of ids follow one another, from 1, and survive a restart', async (t, factory) => {
  const opened = await factory.open(t)
  const ids = new EventIdStore(opened.engine)
  t.equal(await ids.reserve(10), 1)
  t.equal(await ids.reserve(5), 11)
  const reopened = await opened.reopen(t)
  t.equal(await new EventIdStore(reopened.engine).reserve(1), 16, 'a restarted hub starts past every id handed out')
})

engineTest('hubs reserving at once get blocks that do not overlap', async (t, factory) => {
  const [one, other] = await twoHubs(root, t, factory)
  const stores = [new EventIdStore(one), new EventIdStore(other)]
  const firsts = await Promise.all(Array.from({ length: 20 }, (_unused, index) => stores[index % 2]!.reserve(100)))
  t.same(firsts.slice().sort((a, b) => a - b), Array.from({ length: 20 }, (_unused, index) => 1 + index * 100))
})
