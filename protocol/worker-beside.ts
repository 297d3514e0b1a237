// Worker threads whose code lives beside the module that starts them: compiled JavaScript in dist/,
// TypeScript under the tests.

import * as path from 'node:path'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A worker running the module `name` of the folder of `fromFile`, with `fromFile`'s extension. A
 * .ts entry is required from an evaluated script: the tests' TypeScript hook is preloaded into
 * workers with --require and handles require(), whereas a .ts entry given as the worker's file
 * would meet the ESM loader, which Node 20 leaves without the main thread's --import hooks.
 */
export function workerBeside(fromFile: string, name: string, options: WorkerOptions = {}): Worker {
  const extension = path.extname(fromFile)
  const entry = path.join(path.dirname(fromFile), `${name}${extension}`)
  if (extension !== '.ts') return new Worker(entry, options)
  return new Worker(`require(${JSON.stringify(entry)})`, { ...options, eval: true })
}
