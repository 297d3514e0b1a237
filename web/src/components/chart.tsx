// A bar or line chart of one series over named categories (days, months), drawn by uPlot, which loads
// on first use so the first page stays small; beside it the same figures as a table, for everyone the
// canvas leaves out. It follows its container's width, down to a phone's.

import 'uplot/dist/uPlot.min.css'
import type UPlot from 'uplot'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Table } from './ui'

export interface ChartProps {
  /** Names the chart: its caption and its table's. */
  title: string
  /** The category under each bar, oldest first. */
  labels: string[]
  values: number[]
  xLabel: string
  yLabel: string
  /** A value in full, for the table. */
  formatValue: (value: number) => string
  /** A value on the axis, where room is short; formatValue when absent. */
  formatTick?: (value: number) => string
  kind?: 'bars' | 'line'
  /** The label that opens the table. */
  figures: string
  /** More columns of the table, a cell per label. */
  more?: { label: string; cells: string[] }[]
}

type UPlotClass = typeof UPlot
let loading: Promise<UPlotClass> | undefined

/** uPlot's module, fetched once (esbuild puts it in its own chunk); a failed fetch is tried again next time. */
function loadUPlot(): Promise<UPlotClass> {
  loading ??= import('uplot').then(
    (module) => module.default,
    (error: unknown) => {
      loading = undefined
      throw error
    },
  )
  return loading
}

const HEIGHT_MIN_PX = 240
const HEIGHT_MAX_PX = 320
/** Room an axis label needs per character, and around it, in CSS pixels: the axis font is about 12 px. */
const CHAR_PX = 7.5
const LABEL_PAD_PX = 16

function sizeOf(element: HTMLElement): { width: number; height: number } {
  const width = Math.max(element.clientWidth, 1)
  return { width, height: Math.round(Math.min(HEIGHT_MAX_PX, Math.max(HEIGHT_MIN_PX, width * 0.5))) }
}

function cssColour(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

/** Steps between the value axis's ticks: 1, 2, 5, 10, 20…; the values are whole numbers (minor units, counts), so are the ticks. */
const WHOLE_INCREMENTS = Array.from({ length: 16 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat()

/** The categories to label: every one when they fit, else every n-th so labels never overlap. */
function labelledIndices(labels: string[], width_px: number): number[] {
  const label_px = Math.max(...labels.map((label) => label.length), 1) * CHAR_PX + LABEL_PAD_PX
  const step = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(width_px / label_px))))
  return labels.map((_, index) => index).filter((index) => index % step === 0)
}

function options(uplot: UPlotClass, props: ChartProps, tick: (value: number) => string, size: { width: number; height: number }): UPlot.Options {
  const ink = cssColour('--ink', '#1b1f24')
  const brand = cssColour('--brand', '#0b5cad')
  const line = cssColour('--line', '#d0d7de')
  const count = props.labels.length
  const bars = props.kind !== 'line'
  return {
    ...size,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: [-0.5, Math.max(count - 0.5, 0.5)] },
      y: { range: (_self, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        label: props.xLabel, stroke: ink, grid: { show: false }, ticks: { stroke: line },
        splits: (self) => labelledIndices(props.labels, self.bbox.width / devicePixelRatio),
        values: (_self, splits) => splits.map((index) => props.labels[index] ?? ''),
      },
      {
        label: props.yLabel, stroke: ink, grid: { stroke: line }, ticks: { stroke: line },
        incrs: WHOLE_INCREMENTS,
        values: (_self, splits) => splits.map(tick),
        size: (_self, values) => Math.max(...(values ?? []).map((value) => value.length), 1) * CHAR_PX + LABEL_PAD_PX,
      },
    ],
    series: [
      {},
      {
        label: props.yLabel, stroke: brand,
        // A bar has no outline, so a period at zero draws nothing rather than a line along the axis.
        ...(bars ? { width: 0, fill: brand, paths: uplot.paths.bars!({ size: [0.7, 48] }), points: { show: false } } : { width: 2, points: { show: count < 40 } }),
      },
    ],
  }
}

/** The canvas, drawn again when the figures or the words change and resized with its box. */
function Plot(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const [failed, setFailed] = useState(false)
  // The formatters may be new functions on each render: the latest is read when the axis is drawn.
  const tick = useRef(props.formatTick ?? props.formatValue)
  tick.current = props.formatTick ?? props.formatValue
  const drawn = JSON.stringify([props.labels, props.values, props.xLabel, props.yLabel, props.kind])
  useEffect(() => {
    let plot: UPlot | undefined
    let observer: ResizeObserver | undefined
    let cancelled = false
    loadUPlot().then((uplot) => {
      const element = box.current
      if (cancelled || element === null) return
      plot = new uplot(options(uplot, props, (value) => tick.current(value), sizeOf(element)), [props.labels.map((_, index) => index), props.values], element)
      observer = new ResizeObserver(() => plot?.setSize(sizeOf(element)))
      observer.observe(element)
    }, () => setFailed(true))
    return () => {
      cancelled = true
      observer?.disconnect()
      plot?.destroy()
    }
    // Drawn again only when what it shows changes (props is a new object on every render).
  }, [drawn])
  // Without uPlot (its chunk could not be fetched) the table below still holds every figure.
  if (failed) return null
  return <div class="chart" role="img" aria-label={props.title} ref={box} />
}

export function Chart(props: ChartProps) {
  return (
    <figure class="chart-figure">
      <figcaption>{props.title}</figcaption>
      <Plot {...props} />
      <details class="chart-figures">
        <summary>{props.figures}</summary>
        <Table caption={props.title} head={[props.xLabel, props.yLabel, ...(props.more ?? []).map((column) => column.label)]}>
          {props.labels.map((label, index) => (
            <tr key={label}>
              <th scope="row" class="row-head">{label}</th>
              <td class="number">{props.formatValue(props.values[index] ?? 0)}</td>
              {(props.more ?? []).map((column) => <td class="number" key={column.label}>{column.cells[index]}</td>)}
            </tr>
          ))}
        </Table>
      </details>
    </figure>
  )
}
