// One benchmark figure, printed as one JSON line: {"name", "value", "unit"}.

export interface Metric {
  name: string
  value: number
  unit: string
}

export type Suite = () => Promise<Metric[]>

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}
