// A one-line progress bar for a terminal (TTY) on stderr, redrawn at a bounded rate.

export interface ProgressStream {
  write(text: string): unknown
  readonly columns?: number
}

const REDRAW_INTERVAL_MS = 100
const BAR_WIDTH_MAX = 40

export class ProgressBar {
  private lastDraw_ms = -Infinity
  private drawn = false

  constructor(private readonly stream: ProgressStream, private readonly label: string, private readonly now_ms: () => number = () => performance.now()) {}

  /** Draws `done` of `total`, and `note` after the label if given. */
  update(done: number, total: number, note = ''): void {
    const time_ms = this.now_ms()
    if (done < total && time_ms - this.lastDraw_ms < REDRAW_INTERVAL_MS) return
    this.lastDraw_ms = time_ms
    const counts = ` ${done}/${total} ${this.label}${note === '' ? '' : `, ${note}`}`
    const width = Math.max(10, Math.min(BAR_WIDTH_MAX, (this.stream.columns ?? 80) - counts.length - 3))
    const filled = total === 0 ? width : Math.round((done / total) * width)
    this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${counts}`)
    this.drawn = true
  }

  /** Clears the line, so what is printed next starts clean. */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K')
    this.drawn = false
  }
}
