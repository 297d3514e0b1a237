import t from 'tap'
import type { Key, Keypad } from '../../hardware/devices'
import { Counter } from '../../terminal/counter'
import { TerminalError } from '../../terminal/errors'
import type { OnlineRefunder, PaymentTerminalOptions, RefundAnswer } from '../../terminal/payment'
import { CURRENCY, FixedAuthorizer, counterTerminal, phoneLink, phoneWithVoucher, provisionedStore } from './fixtures'

/** Keys pressed one after another; when they run out, the counter is stopped. */
class ScriptedKeypad implements Keypad {
  private readonly keys: Key[]
  constructor(keys: string, private readonly controller: AbortController) {
    this.keys = [...keys].map(char => ({ E: 'enter', C: 'cancel', B: 'backspace', X: 'clear' } as Record<string, Key>)[char] ?? char as Key)
  }
  async nextKey(): Promise<Key> {
    const key = this.keys.shift()
    if (key === undefined) {
      this.controller.abort()
      return new Promise<Key>(() => undefined)
    }
    return key
  }
}

interface Tap {
  testdir(): string
  teardown(fn: () => unknown): void
}

function counterWith(t: Tap, keys: string, overrides: Partial<PaymentTerminalOptions> = {}) {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const world = counterTerminal(store, phoneLink(phone), overrides)
  const controller = new AbortController()
  const errors: Error[] = []
  const counter = new Counter({
    payments: world.terminal, keypad: new ScriptedKeypad(keys, controller), display: world.display, language: 'en',
    currency: () => CURRENCY, onError: error => errors.push(error),
  }, controller.signal)
  return { ...world, store, counter, errors }
}


t.test('amounts keyed and entered are taken one after another, with corrections', async t => {
  const { counter, store, display } = counterWith(t, '1500E' + '9' + '25B0E' + 'C')
  await counter.run()
  t.same(store.recordsFrom(1, 10).map(record => record.amountMinor), [1_500, 920],
    'a digit after a result starts the next amount; backspace takes the last digit back')
  t.match(display.screens.filter(screen => screen.kind === 'approved').length, 2)
})

t.test('Enter on an empty amount opens the menu: the day report, or back', async t => {
  const { counter, store, display, printer } = counterWith(t, '700E' + 'E' + 'E2' + 'E' + 'EC' + '4')
  await counter.run()
  t.equal(store.recordsFrom(1, 10).length, 1)
  t.ok(display.screens.some(screen => screen.kind === 'report' && screen.lines.includes('1: refund a payment')), 'the menu was shown')
  t.match(display.last, { kind: 'amount', lines: ['Enter amount', /^4/] }, 'Cancel in the menu goes straight back to the amount')
  t.ok(printer.printed.some(text => text.startsWith('DAY REPORT')), 'the day report was printed')
})

t.test('the menu refunds a payment by its number; a refund without a refund link is an error shown, and the loop goes on', async t => {
  const answers: Uint8Array[] = []
  const refunder: OnlineRefunder = {
    async refund(request): Promise<RefundAnswer | 'unreachable'> {
      answers.push(request)
      return 'unreachable'
    },
  }
  const withLink = counterWith(t, '1200E' + 'E' + 'E1' + '1E' + '500E', { refunder })
  ;(withLink.terminal as unknown as { options: { online: { online: boolean } } }).options.online.online = true
  await withLink.counter.run()
  t.equal(answers.length, 1, 'the refund of #1 went to the hub')
  t.match(withLink.display.last, { kind: 'declined', lines: ['REFUND', /500/, /not confirmed/] })

  const without = counterWith(t, '1200E' + 'E' + 'E1' + '1EE' + 'E' + '300E')
  await without.counter.run()
  t.equal(without.errors.length, 1)
  t.ok(without.errors[0] instanceof TerminalError)
  t.same(without.store.recordsFrom(1, 10).map(record => record.amountMinor), [1_200, 300], 'the loop went on after the error')
})

t.test('menu 3 sets the mode of the next payment only, shown under the amount; Cancel keeps it as it was', async t => {
  // Online link: the terminal's own policy (online if possible) takes payments online.
  const keys = 'E3' + '3' + '500E' + 'E' + '600E' + 'E' + 'E3' + 'C' + '700E' + 'E' + 'E32' + '800E' + 'C'
  const online = new FixedAuthorizer(true)
  const { counter, store, display } = counterWith(t, keys, { online })
  await counter.run()
  t.same(store.recordsFrom(1, 10).map(record => `${record.amountMinor}:${record.mode}`), ['500:offline', '600:online', '700:online', '800:online'])
  t.ok(display.screens.some(screen => screen.kind === 'report' && screen.lines.includes('3: offline')), 'the choices were shown')
  t.ok(display.screens.some(screen => screen.kind === 'amount' && screen.lines[2] === 'Offline'), 'the amount screen says the chosen mode')
  t.ok(display.screens.some(screen => screen.kind === 'amount' && screen.lines[2] === 'Online only'))
  t.equal(online.asked.length, 3, 'the offline payment never asked the hub')
})

t.test('online only, chosen for one payment with the link down, is declined and says why', async t => {
  const { counter, store, display } = counterWith(t, 'E32' + '900E' + 'C', { online: new FixedAuthorizer(false) })
  await counter.run()
  t.equal(store.recordsFrom(1, 10).length, 0, 'nothing recorded')
  t.match(display.screens.find(screen => screen.kind === 'declined'), { lines: ['DECLINED', /900/] })
})

t.test('a payment its store cannot write (the disk full: SQLITE_FULL) says so in words, takes nothing, and the loop goes on', async t => {
  const { counter, store, display, errors } = counterWith(t, '1500E' + '300E')
  // As the fault simulation's disk-full does: the store may not grow past the pages it has.
  store.db.exec('VACUUM')
  store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`)
  let full = true
  const append = store.appendPayment.bind(store)
  store.appendPayment = (...args) => {
    if (!full) return append(...args)
    full = false
    // A real SQLITE_FULL, from a write of a megabyte the store has no pages for, as the payment is recorded.
    store.db.exec('CREATE TABLE filler (blob BLOB)')
    store.db.prepare('INSERT INTO filler VALUES (?)').run(Buffer.alloc(1 << 20))
    return append(...args)
  }
  await counter.run()
  t.equal(errors.length, 1)
  t.match(errors[0], { name: 'SqliteError', code: 'SQLITE_FULL' })
  t.ok(display.screens.some(screen => screen.kind === 'declined' && screen.lines.includes('Storage full: payment not taken, nothing charged. Call support.')),
    'the merchant reads what happened')
  t.same(store.recordsFrom(1, 10).map(record => record.amountMinor), [300], 'the first was not recorded; the next, which found room in the pages the store has, is')
})
