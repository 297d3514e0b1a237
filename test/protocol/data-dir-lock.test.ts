import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DataDirLockError, LOCK_FILE, lockDataDir, processAlive } from '../../protocol/data-dir-lock'

/** The pid of a process that has exited: a lock it left is stale. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  return child.pid!
}

t.test('a second taker of a folder in use is refused with the folder and the holder\'s pid', async t => {
  const dir = join(t.testdir(), 'data')
  const lock = lockDataDir(dir)
  t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
  const refused = t.throws(() => lockDataDir(dir, 4242)) as unknown as DataDirLockError
  t.ok(refused instanceof DataDirLockError)
  t.equal(refused.code, 'DATA_DIR_IN_USE')
  t.equal(refused.holderPid, process.pid)
  t.match(refused.message, `${resolve(dir)} is in use by process ${process.pid}`)
  t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`, 'the holder keeps its lock')
  lock.release()
  t.notOk(existsSync(join(dir, LOCK_FILE)), 'release deletes the lock file')
  lockDataDir(dir, 4242, () => true).release()
})

t.test('a lock left by a process that is gone is taken over', async t => {
  const dir = t.testdir()
  const gone = deadPid()
  t.equal(processAlive(gone), false)
  writeFileSync(join(dir, LOCK_FILE), `${gone}\n`)
  const lock = lockDataDir(dir)
  t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
  lock.release()
})

t.test('a lock file cut short by a crash (no pid in it) is taken over', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, LOCK_FILE), '')
  lockDataDir(dir).release()
  t.notOk(existsSync(join(dir, LOCK_FILE)))
})

t.test('release leaves a lock another process has taken since', async t => {
  const dir = t.testdir()
  const lock = lockDataDir(dir, 1111, () => false)
  writeFileSync(join(dir, LOCK_FILE), '2222\n')
  lock.release()
  t.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), '2222\n')
})
