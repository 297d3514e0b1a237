// What a start that failed may have left open, as a test checks it: a port still taken, a SQLite
// database still held, a worker thread still running; and a way to fail a start once it listens.

import Database from 'better-sqlite3'
import { createServer, Server } from 'node:net'

/** Whether `port` can be listened on now (and is let go again at once). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = createServer()
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, host, () => resolve(true))
  })
  if (listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  return listening
}

/** Whether nobody else holds the database file: an exclusive write lock is granted at once. */
export function databaseIsFree(file: string): boolean {
  const database = new Database(file, { timeout: 0 })
  try {
    database.pragma('locking_mode = EXCLUSIVE')
    database.exec('BEGIN EXCLUSIVE; COMMIT')
    return true
  } catch {
    return false
  } finally {
    database.close()
  }
}

/** Worker threads of this process still running. */
export function workerThreads(): number {
  return (process.report.getReport() as { workers: unknown[] }).workers.length
}

/** Runs `start` while every TCP server says it listens on a pipe: a start that checks its port fails once it listens. */
export async function withServersOnPipes<T>(start: () => Promise<T>): Promise<T> {
  const address = Server.prototype.address
  Server.prototype.address = () => '/run/payall.sock'
  try {
    return await start()
  } finally {
    Server.prototype.address = address
  }
}
