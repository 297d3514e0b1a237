// A form's submit: the busy flag while the hub answers, and its refusal to show, for every form alike.

import { useState } from 'preact/hooks'
import type { ApiError } from '../api'
import { asApiError } from './resource'

/** `onSubmit` for a form (its fields as FormData) or onClick for a button (an empty FormData). */
export function useSubmit(action: (form: FormData) => Promise<void>) {
  const [error, setError] = useState<ApiError | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const onSubmit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const target = event.currentTarget
      await action(target instanceof HTMLFormElement ? new FormData(target) : new FormData())
    } catch (caught) {
      setError(asApiError(caught))
    } finally {
      setBusy(false)
    }
  }
  return { error, busy, onSubmit }
}
