// A QR code drawn from uqr's module matrix as SVG rectangles built in JSX (never a markup string), with
// the encoded text printed beside it for anyone who cannot scan or see the picture.

import { encode } from 'uqr'

/** Quiet zone around the code, in modules: scanners need one; two reads well on a screen. */
const BORDER_MODULES = 2

interface Run {
  x: number
  y: number
  width: number
}

/** The dark modules as horizontal runs: one <rect> per run instead of one per module. */
function darkRuns(rows: boolean[][]): Run[] {
  const runs: Run[] = []
  rows.forEach((row, y) => {
    let start = -1
    for (let x = 0; x <= row.length; x++) {
      const dark = x < row.length && row[x] === true
      if (dark && start < 0) start = x
      if (!dark && start >= 0) {
        runs.push({ x: start, y, width: x - start })
        start = -1
      }
    }
  })
  return runs
}

/** `value` as a QR code; `label` names the picture, `textLabel` the same value written out. */
export function QrCode({ value, label, textLabel }: { value: string; label: string; textLabel: string }) {
  const { size, data } = encode(value, { ecc: 'M', border: BORDER_MODULES })
  return (
    <figure class="qr-figure">
      <svg class="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shape-rendering="crispEdges">
        <rect x={0} y={0} width={size} height={size} fill="#ffffff" />
        {darkRuns(data).map((run) => <rect key={`${run.x}:${run.y}`} x={run.x} y={run.y} width={run.width} height={1} fill="#000000" />)}
      </svg>
      <figcaption>
        <span class="label">{textLabel}</span>
        <code class="mono token">{value}</code>
      </figcaption>
    </figure>
  )
}
