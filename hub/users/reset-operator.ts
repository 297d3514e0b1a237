// `payall-hub reset-operator`: a lost operator password replaced from the machine the hub runs on,
// with the hub stopped (it takes the data folder's lock). The new password is PAYALL_OPERATOR_PASSWORD,
// else generated and printed once; every session the old one opened ends.

import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { systemClock, systemRandom } from '../../protocol/clock'
import { DataDirLockError, lockDataDir } from '../../protocol/data-dir-lock'
import { errorText } from '../../protocol/errors'
import { ConfigError, parseConfigFields } from '../config'
import { HUB_DATABASE_FILE, openDatabase } from '../store/database'
import { SqliteEngine } from '../store/sql'
import { OPERATOR_EMAIL_DEFAULT } from './operator'
import { createPasswordHasher } from './passwords'
import { UserStore } from './store'

const PROGRAM = 'payall-hub reset-operator'
/** As many random bytes as the first start's generated password. */
const GENERATED_PASSWORD_BYTES = 18

const RESET_OPERATOR_USAGE = `Usage: payall-hub reset-operator [--data-dir DIR]

Sets a new password for the operator account PAYALL_OPERATOR_EMAIL (default ${OPERATOR_EMAIL_DEFAULT}),
with the hub stopped: PAYALL_OPERATOR_PASSWORD if set, else a generated one printed once. Every session
of that account ends.

Example: payall-hub reset-operator --data-dir ./data
`

interface CommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

export async function resetOperatorCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(RESET_OPERATOR_USAGE)
    return 0
  }
  let config
  try {
    config = parseConfigFields(argv, env, ['dataDir', 'operatorEmail', 'operatorPassword'])
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr.write(`${PROGRAM}: ${errorText(error)}\n`)
    return 2
  }
  const database = join(config.dataDir, HUB_DATABASE_FILE)
  if (!existsSync(database)) {
    io.stderr.write(`${PROGRAM}: NO_HUB: ${resolve(config.dataDir)} holds no hub database (give the hub's --data-dir)\n`)
    return 1
  }
  let lock
  try {
    lock = lockDataDir(config.dataDir)
  } catch (error) {
    if (!(error instanceof DataDirLockError)) throw error
    io.stderr.write(`${PROGRAM}: ${errorText(error)} (a running hub: stop it, then reset)\n`)
    return 1
  }
  try {
    const db = openDatabase(database)
    try {
      const email = config.operatorEmail ?? OPERATOR_EMAIL_DEFAULT
      const users = new UserStore(new SqliteEngine(db))
      const account = await users.credentialsByEmail(email)
      if (account === undefined || !account.roles.includes('operator')) {
        io.stderr.write(`${PROGRAM}: NO_OPERATOR: ${email} is not an operator account of the hub in ${config.dataDir} `
          + '(name the account with PAYALL_OPERATOR_EMAIL)\n')
        return 1
      }
      const generated = config.operatorPassword === undefined
        ? Buffer.from(systemRandom(GENERATED_PASSWORD_BYTES)).toString('base64url')
        : undefined
      const hash = await createPasswordHasher({ random: systemRandom }).hash(config.operatorPassword ?? generated!)
      await users.changePassword(account.id, hash, systemClock.now_ms())
      io.stdout.write(generated === undefined
        ? `Set the password of ${email} to PAYALL_OPERATOR_PASSWORD; its sessions have ended.\n`
        : `New password of ${email}: ${generated}\n  It is shown only this once: keep it in a password manager. Its sessions have ended.\n`)
      return 0
    } finally {
      db.close()
    }
  } finally {
    lock.release()
  }
}
