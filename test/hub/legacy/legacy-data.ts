// Legacy data made by the tests in the legacy layouts (../shared/LEGACY.md): the web backend's users, gateways,
// orders, gateway_orders and user_devices, the mobile backend's users, device and account, with the awkward cases
// (NULLs, quotes and backslashes, non-ASCII, amounts like 0.10 and 99999999.99, duplicate phones, bad EUIs), and
// what the import must make of them.

import bcrypt from 'bcryptjs'
import type { Table } from './dump-writers'

export const WEB_PASSWORD = 'web password 1'
export const MOBILE_PASSWORD = 'mobile password 2'
// bcrypt at its lowest cost keeps the tests fast; Laravel writes $2y$, Node $2a$ and $2b$.
const WEB_HASHES = [bcrypt.hashSync(WEB_PASSWORD, 4).replace(/^\$2.\$/, '$2a$'), bcrypt.hashSync(WEB_PASSWORD, 4).replace(/^\$2.\$/, '$2b$')]
const MOBILE_HASH = bcrypt.hashSync(MOBILE_PASSWORD, 4).replace(/^\$2.\$/, '$2y$')

const NAMES = ["Aïssatou N'Diaye", 'Back\\slash \\N Name', 'Zoë "Zed" Ünal', '李小龙', 'Tab\there', 'Line\nbreak', 'Plain Name', "O'Brien; DROP TABLE users; --"]
const BALANCES = ['0.10', '99999999.99', '1500.00', '0', '0.00', '12.5', '250000.75', '3']

interface Column {
  readonly name: string
  readonly numeric: boolean
}
const columns = (text: string, numeric: readonly string[] = []): Column[] =>
  text.split(' ').map(name => ({ name, numeric: numeric.includes(name) }))

/** What the import of the data must do, as the test checks it. */
interface Expected {
  /** Balance in minor units (2 decimals) of each mobile user whose account must be opened, by their phone. */
  readonly balanceByPhone: ReadonlyMap<string, number>
  readonly openedMinor: number
  /** A web-only user: logs in with the web password by email. */
  readonly webOnlyEmail: string
  /** A joined user: logs in with the password of the record changed last. */
  readonly joinedEmail: string
  readonly joinedPassword: string
  /** A mobile-only user: logs in by phone with the mobile password; owns an imported device without a key. */
  readonly mobileOnlyPhone: string
  readonly mobileOnlyImei: string
  /** Refusals that must be reported, as `system table key reason`. */
  readonly refusals: readonly string[]
}

export interface LegacyData {
  readonly web: Table[]
  readonly mobile: Table[]
  readonly expected: Expected
}

const pad = (value: number, length: number): string => String(value).padStart(length, '0')
const phoneOf = (index: number): string => `+22177${pad(index, 7)}`
const time = (day: number): string => `2023-${pad(1 + (day % 12), 2)}-${pad(1 + (day % 28), 2)} 10:${pad(day % 60, 2)}:00`

/**
 * `people` web users and as many mobile users: most joined by id_user_ext, some by email, some by phone, some
 * on one side only. The sizes of the awkward groups are fixed; `people` sets the bulk.
 */
export function legacyData(people: number): LegacyData {
  const webUsers: (string | null)[][] = []
  const mobileUsers: (string | null)[][] = []
  const devices: (string | null)[][] = []
  const accounts: (string | null)[][] = []
  const balanceByPhone = new Map<string, number>()
  let opened_minor = 0
  for (let i = 1; i <= people; i++) {
    const name = NAMES[i % NAMES.length]!
    const email = i % 10 === 3 ? `User${i}@Example.COM` : `user${i}@example.com`
    // web users 50 and 51 share a phone: the second is refused (a web-only user keeps the web phone).
    const webPhone = i === 51 ? phoneOf(50) : i % 7 === 0 ? null : phoneOf(i)
    webUsers.push([String(i), name, email, i % 2 === 0 ? 't' : 'f', i % 3 === 0 ? 'true' : 'false', '0', WEB_HASHES[i % 2]!, webPhone, time(i), time(i + 1)])
  }
  const webOnly = new Set([50, 51, 52])
  for (let i = 1; i <= people; i++) {
    if (webOnly.has(i)) continue
    const m = i
    // Joined by id_user_ext (most), by email (every 11th: id_user_ext NULL, the email in other case), by phone (every 13th).
    const byEmail = i % 11 === 0
    const byPhone = !byEmail && i % 13 === 0
    const idUserExt = byEmail || byPhone ? null : String(i)
    const email = byEmail ? `USER${i}@example.com` : byPhone ? null : i % 5 === 0 ? null : `user${i}@example.com`
    const phone = byPhone && i % 7 !== 0 ? `77 ${pad(i, 7).slice(0, 3)} ${pad(i, 7).slice(3)}` : phoneOf(i)
    mobileUsers.push(mobileUser(m, idUserExt, String(1000 + m), `35000000${pad(m, 7)}`, email, phone, i))
    devices.push([String(1000 + m), `35000000${pad(m, 7)}`, 'Galaxy A12', 'Samsung', m % 17 === 0 ? '0' : '1', time(m)])
  }
  // Mobile-only people, one with a duplicate phone of a joined one (refused), one with a bad IMEI.
  const extra = people + 1
  mobileUsers.push(mobileUser(extra, null, null, '359999999999999', `only${extra}@example.com`, phoneOf(extra), extra))
  mobileUsers.push(mobileUser(extra + 1, null, null, null, `dup${extra}@example.com`, phoneOf(1), extra + 1))
  mobileUsers.push(mobileUser(extra + 2, null, String(9999), 'IMEI WITH SPACES', null, phoneOf(extra + 2), extra + 2))
  devices.push([String(9999), 'IMEI WITH SPACES', null, null, '1', null])
  // id_user_ext names no web user, so the email is not tried for a join: it is web user 52's, and refused.
  mobileUsers.push(mobileUser(extra + 3, '999999', null, null, 'user52@example.com', phoneOf(extra + 3), extra + 3))

  for (const user of mobileUsers) {
    const id = Number(user[0])
    const balance = BALANCES[id % BALANCES.length]!
    accounts.push([String(id), String(id), `ACC-${pad(id, 8)}`, balance, id % 4 === 0 ? `BANK'${id}` : null, time(id)])
    const refused = id === extra + 1 || id === extra + 3
    if (!refused) {
      const minor = Number(BigInt(balance.replace('.', '') + (balance.includes('.') ? '0'.repeat(2 - balance.split('.')[1]!.length) : '00')))
      const phone = user[11]!
      balanceByPhone.set(phone.startsWith('+') ? phone : phoneOf(id), minor)
      opened_minor += minor
    }
  }
  // A second account row for one user: its balance adds to the same wallet.
  accounts.push(['500000', '1', 'ACC-SECOND', '0.05', null, null])
  balanceByPhone.set(phoneOf(1), balanceByPhone.get(phoneOf(1))! + 5)
  opened_minor += 5

  const gateways: (string | null)[][] = [
    ['1', 'Counter one', 'lora-gateway', 'a1b2c3d4e5f60718', '150000.00', time(1)],
    ['2', 'Counter "two"', 'lora-gateway', 'A1-B2-C3-D4-E5-F6-07-19', '0.10', time(2)],
    ['3', 'Bad EUI', 'lora-gateway', 'not-an-eui', '10.00', time(3)],
    ['4', 'No EUI', 'lora-gateway', null, '10.00', time(4)],
    ['5', 'Short EUI', 'lora-gateway', '12345', '10.00', time(5)],
    ['6', 'Same EUI', 'lora-gateway', 'A1B2C3D4E5F60718', '10.00', time(6)],
    ['7', 'Kiosk ñ', 'nfc-kiosk', '00112233445566AA', '99999999.99', time(7)],
  ]
  const userDevices = [['2', '1'], ['2', '2'], ['4', '7'], ['3', '3']]
  const orders: (string | null)[][] = [
    ['1', '2', 'validated', '150000.10', 'Rue 12, Dakar', time(1), time(2)],
    ['2', '4', 'pending', '99999999.99', "Villa 'Les Palmiers'\nThiès", time(3), time(3)],
    ['3', '2', 'shipped', null, 'Plateau', time(4), time(5)],
    ['4', '6', 'weird status', '1.00', 'Somewhere', time(5), time(5)],
    ['5', '6', 'cancelled', '10.00', 'Somewhere', time(6), time(7)],
    ['6', '8', 'pending', '10.00', 'Somewhere', time(6), time(7)],
  ]
  const gatewayOrders = [['1', '1'], ['1', '2'], ['2', '7'], ['3', '1'], ['6', '3'], ['5', '999']]
  return {
    web: [
      { name: 'users', columns: columns('id full_name email email_verified phone_verified status password phone created_at updated_at'), rows: webUsers },
      { name: 'gateways', columns: columns('id name type eui price created_at', ['price']), rows: gateways },
      { name: 'orders', columns: columns('id user_id status total_amount shipping_address created_at updated_at', ['total_amount']), rows: orders },
      { name: 'gateway_orders', columns: columns('order_id gateway_id'), rows: gatewayOrders },
      { name: 'user_devices', columns: columns('user_id gateway_id'), rows: userDevices },
      { name: 'transactions', columns: columns('id amount wallet_address status', ['amount']), rows: [['1', '5.00', '0xabc', 'done']] },
    ],
    mobile: [
      {
        name: 'users',
        columns: columns('id id_device id_user_ext name surename imei sexe dob profession address email phone password code meta_data created_at updated_at'),
        rows: mobileUsers,
      },
      { name: 'device', columns: columns('id imei model brand status created_at'), rows: devices },
      { name: 'account', columns: columns('id id_user accountno balance id_compte_ext created_at', ['balance']), rows: accounts },
    ],
    expected: {
      balanceByPhone, openedMinor: opened_minor,
      webOnlyEmail: 'user52@example.com',
      // User 4: the mobile record is changed last (the web one the day before): its password is kept.
      joinedEmail: 'user4@example.com', joinedPassword: MOBILE_PASSWORD,
      mobileOnlyPhone: phoneOf(extra), mobileOnlyImei: '359999999999999',
      refusals: [
        'web users 51 DUPLICATE_PHONE', `mobile users ${extra + 1} DUPLICATE_PHONE`, `mobile account ${extra + 1} UNKNOWN_USER`,
        'web gateways 3 BAD_EUI', 'web gateways 4 NO_EUI', 'web gateways 5 BAD_EUI', 'web gateways 6 DUPLICATE_EUI',
        'web user_devices 3/3 UNKNOWN_GATEWAY', 'web orders 4 UNKNOWN_STATUS', 'web orders 5 UNKNOWN_GATEWAY', 'web orders 6 UNKNOWN_GATEWAY',
        `mobile device 9999 BAD_IMEI`, `mobile users ${extra + 3} DUPLICATE_EMAIL`, `mobile account ${extra + 3} UNKNOWN_USER`,
      ],
    },
  }
}

function mobileUser(
  id: number, idUserExt: string | null, idDevice: string | null, imei: string | null, email: string | null, phone: string, day: number,
): (string | null)[] {
  return [
    String(id), idDevice, idUserExt, NAMES[(id + 3) % NAMES.length]!, id % 9 === 0 ? null : `Surname-${id}`, imei, id % 2 === 0 ? 'F' : 'M',
    id % 6 === 0 ? 'vers 1980' : `198${id % 10}-0${1 + (id % 9)}-1${id % 10}`, id % 4 === 0 ? null : 'Commerçante', 'Médina\\Dakar "centre"',
    email, phone, MOBILE_HASH, '123456', id % 3 === 0 ? '{"lang":"fr","note":"l\'été"}' : null, time(day), time(day + 2),
  ]
}
