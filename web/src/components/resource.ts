// Loading what a page shows: a GET with its loading and error states, loaded again when a live event
// of the listed types arrives (or a `reset`), so pages never poll.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, http } from '../api'
import { useLiveEvents, type LiveEventType } from '../events'

export interface Resource<T> {
  data: T | undefined
  error: ApiError | undefined
  loading: boolean
  reload: () => void
}

let firstDataMarked = false

/** The first time any page shows data from the hub after the page loaded: the bench's time-to-first-data. */
function markFirstData(): void {
  if (firstDataMarked) return
  firstDataMarked = true
  performance.mark('payall:first-data')
}

/** GET `path` (none while it is null); `live` lists the event types after which it is loaded again. */
export function useResource<T>(path: string | null, live: readonly LiveEventType[] = []): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: path !== null })
  const generation = useRef(0)
  const load = useCallback(() => {
    if (path === null) return
    const mine = ++generation.current
    setState((previous) => ({ ...previous, loading: true }))
    http.get<T>(path).then(
      (data) => {
        if (mine !== generation.current) return
        setState({ data, loading: false })
        // After Preact has painted the data.
        requestAnimationFrame(markFirstData)
      },
      (error: unknown) => {
        if (mine !== generation.current) return
        setState((previous) => ({ ...previous, error: asApiError(error), loading: false }))
      },
    )
  }, [path])
  useEffect(load, [load])
  // Only the named types (and a reset, after which everything shown is stale) load it again.
  useLiveEvents(['reset', ...live], load)
  return { data: state.data, error: state.error, loading: state.loading, reload: load }
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error))
}
