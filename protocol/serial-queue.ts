// One job at a time, in the order they came, with a bound on how many may wait: the hub's batch
// settlement and refunds, the terminal's sync rounds, a driver's commands on its one serial line.
// Past the bound a job is refused at once (QUEUE_FULL) rather than queued without limit.

import { assert, CodedError } from './errors'

export class QueueFullError extends CodedError<'QUEUE_FULL'> {
  override readonly name = 'QueueFullError'
}

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private waiting = 0

  /** `jobsMax`: jobs queued or running at once; the next one is refused. */
  constructor(readonly jobs_max: number, private readonly what = 'the queue') {
    assert(Number.isSafeInteger(jobs_max) && jobs_max > 0, 'a serial queue holds at least one job')
  }

  /** Jobs queued or running now. */
  get length(): number {
    return this.waiting
  }

  /**
   * Runs `job` once every job before it has settled, and settles as it does. A job's failure is its
   * caller's alone: the jobs after it still run. Rejects with QUEUE_FULL, without running it, when
   * `jobsMax` jobs are already queued or running.
   */
  run<Result>(job: () => Result | Promise<Result>): Promise<Result> {
    if (this.waiting >= this.jobs_max) {
      return Promise.reject(new QueueFullError('QUEUE_FULL', `${this.what} already holds ${this.jobs_max} jobs`))
    }
    this.waiting++
    const result = this.tail.then(job)
    const settled = result.then(() => undefined, () => undefined).finally(() => {
      this.waiting--
    })
    this.tail = settled
    return result
  }
}
