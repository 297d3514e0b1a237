import t from 'tap'
import { ConsoleDisplay, consoleScreenText } from '../../../hardware/display/console-display'
import { fromRomA00, toRomA00 } from '../../../hardware/display/hd44780-rom'
import { LcdDisplay } from '../../../hardware/display/lcd-display'
import { ManualClock } from '../../../protocol/clock'
import { pagesOf } from '../../../hardware/display/screen-layout'
import type { Screen } from '../../../hardware/devices'
import { openMockFirmataBoard } from '../../../simulator/keypad/mock-firmata-board'
import { VirtualLcd } from '../../../simulator/display/virtual-lcd'
import { PassThrough } from 'node:stream'

/** How long a page stays up unless told otherwise. */
const PAGE_MS = 2_500

function lcdOnBoard(rows: number, cols: number) {
  const board = openMockFirmataBoard()
  const glass = new VirtualLcd(board, { rows, cols })
  const clock = new ManualClock(0)
  const display = new LcdDisplay(board, clock, { rows, cols })
  return { glass, display, clock }
}

t.test('j5 initializes the LCD: display on, backlight on, blank rows', async t => {
  const { glass } = lcdOnBoard(2, 16)
  t.equal(glass.displayOn, true)
  t.equal(glass.backlight, true)
  t.same(glass.rows(), [' '.repeat(16), ' '.repeat(16)])
})

t.test('16x2: the amount right-aligned under its title, decoded from the I2C nibbles', async t => {
  const { glass, display } = lcdOnBoard(2, 16)
  display.show({ kind: 'amount', lines: ['Enter amount', '12\u202f500 XOF'] })
  t.same(glass.rows(), ['Enter amount    ', '      12 500 XOF'])
})

t.test('French on 16x2: accents fall back to base letters, the screen pages with the title kept', async t => {
  const { glass, display, clock } = lcdOnBoard(2, 16)
  display.show({ kind: 'tap', lines: ['1\u202f250.00 EUR', 'Client : présentez votre téléphone'] })
  t.same(glass.text(), ['    1 250.00 EUR', 'Client :'])
  t.equal(clock.pendingTimers, 1, 'a page turn is due')
  clock.advance(PAGE_MS)
  t.same(glass.text(), ['    1 250.00 EUR', 'presentez votre'])
  clock.advance(PAGE_MS)
  t.same(glass.text(), ['    1 250.00 EUR', 'telephone'])
  clock.advance(PAGE_MS)
  t.same(glass.text(), ['    1 250.00 EUR', 'Client :'], 'and round again')
  display.show({ kind: 'approved', lines: ['ACCEPTÉ', '1\u202f250.00 €'] })
  t.equal(clock.pendingTimers, 0, 'a new screen stops the old paging')
  t.same(glass.text(), ['ACCEPTE', '    1 250.00 EUR'], 'the euro sign reads EUR, and then it is an amount like any')
})

t.test('20x4: rows 3 and 4 land at DDRAM 0x14 and 0x54, and the declined reason fits on one page', async t => {
  const { glass, display, clock } = lcdOnBoard(4, 20)
  display.show({
    kind: 'declined',
    lines: ['REFUSÉ', '12\u202f500 XOF', 'Le montant dépasse le plafond'],
  })
  t.same(glass.rows(), [
    'REFUSE              ',
    '          12 500 XOF',
    'Le montant depasse  ',
    'le plafond          ',
  ])
  t.equal(clock.pendingTimers, 0, 'no paging when it fits')
})

t.test('an amount is never cut: separators go, then the space, then the currency wraps', async t => {
  const screen = (amount: string): Screen => ({ kind: 'amount', lines: [amount] })
  t.same(pagesOf(screen('999\u202f999\u202f999\u202f999 XOF'), { rows: 2, cols: 16 })[0], ['999999999999 XOF', ' '.repeat(16)])
  t.same(pagesOf(screen('9\u202f999\u202f999\u202f999.99 EUR'), { rows: 2, cols: 16 })[0], ['9999999999.99EUR', ' '.repeat(16)])
  t.same(pagesOf(screen('99\u202f999\u202f999\u202f999.99 EUR'), { rows: 2, cols: 16 })[0], ['  99999999999.99', '             EUR'])
})

t.test('a declined screen on 16x2: the amount stays at the bottom while the title and the reason page above it', async t => {
  const pages = pagesOf({ kind: 'declined', lines: ['REFUSÉ', '12\u202f500 XOF', 'Plafond dépassé'] }, { rows: 2, cols: 16 })
  t.same(pages.map(page => page.map(row => row.trimEnd())), [
    ['REFUSE', '      12 500 XOF'],
    ['Plafond depasse', '      12 500 XOF'],
  ])
})

t.test('ROM A00: ASCII stays, ä ö ü ñ ° have glyphs, \\ and ~ do not draw as themselves', async t => {
  t.equal(toRomA00('Grüße ça'), 'Gr\u00f5sse ca')
  t.equal([...toRomA00('ä°\\~')].map(c => c.charCodeAt(0)).join(','), '225,223,47,45')
  t.equal(fromRomA00(0xe1), 'ä')
  t.equal(fromRomA00(0x5c), '¥', 'the ROM draws ¥ at the backslash code')
  t.equal(toRomA00('漢'), '?')
})

t.test('text with :name: is printed as is, not as a j5 custom character', async t => {
  const { glass, display } = lcdOnBoard(2, 16)
  display.show({ kind: 'report', lines: ['09:00:00 :heart:'] })
  t.same(glass.text(), ['09:00:00 :heart:', ''])
})

t.test('the console display writes each screen as a block', async t => {
  const output = new PassThrough()
  const chunks: string[] = []
  output.on('data', chunk => chunks.push(String(chunk)))
  new ConsoleDisplay(output).show({ kind: 'approved', lines: ['ACCEPTÉ', '12 500 XOF'] })
  await new Promise(setImmediate)
  t.equal(chunks.join(''), consoleScreenText({ kind: 'approved', lines: ['ACCEPTÉ', '12 500 XOF'] }))
  const lines = chunks.join('').trimEnd().split('\n')
  t.match(lines[0], /approved/)
  t.ok(lines.every(line => line.length === lines[0]!.length), 'a rectangle')
  t.ok(lines.some(line => line.includes('ACCEPTÉ')), 'full Unicode on a console')
})

t.test('sizes other than 16x2 and 20x4 are refused', async t => {
  const board = openMockFirmataBoard()
  t.throws(() => new LcdDisplay(board, new ManualClock(0), { rows: 3, cols: 16 }), { name: 'DisplayError', code: 'BAD_OPTIONS' })
})
