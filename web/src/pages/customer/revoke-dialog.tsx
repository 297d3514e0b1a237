// Revoking a voucher asks first, in a modal dialog: the phone can no longer pay with it, and what is
// left returns to the wallet. Escape or "Keep it" closes it and nothing changes.

import { useEffect, useRef } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { formatAmount, useT } from '../../i18n'
import { Refusal } from './shared'

/** GET /api/auth/device/vouchers, one item. */
export interface Voucher {
  id: string
  deviceId: string
  imei: string
  currency: string
  amountMinor: number
  spentMinor: number
  remainingMinor: number
  status: 'open' | 'revoked' | 'expired' | 'used'
  issuedAtMs: number
  expiresAtMs: number
}

/** Open while mounted; `onClose(true)` once the hub revoked the voucher, `onClose(false)` when the customer kept it. */
export function RevokeDialog({ voucher, onClose }: { voucher: Voucher; onClose: (revoked: boolean) => void }) {
  const t = useT()
  const dialog = useRef<HTMLDialogElement>(null)
  const keep = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    const element = dialog.current
    const opener = document.activeElement
    element?.showModal()
    // The harmless choice first: Enter or Space right away keeps the voucher.
    keep.current?.focus()
    return () => {
      element?.close()
      // Back to the button that opened it, for a keyboard user to carry on from there.
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
    }
  }, [])
  const { error, busy, onSubmit } = useSubmit(async () => {
    await http.post(`/api/auth/device/vouchers/${encodeURIComponent(voucher.id)}/revoke`)
    onClose(true)
  })
  const d = t.customer.devices
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="revoke-title" aria-describedby="revoke-text"
      onCancel={(event) => { event.preventDefault(); onClose(false) }}>
      <h2 id="revoke-title">{d.confirmTitle}</h2>
      <p id="revoke-text">{d.confirmText(formatAmount(voucher.remainingMinor, voucher.currency), voucher.imei)}</p>
      <Refusal error={error} />
      <div class="row">
        <button type="button" class="danger" onClick={onSubmit} disabled={busy}>{d.confirmRevoke}</button>
        <button type="button" onClick={() => onClose(false)} ref={keep}>{d.keep}</button>
      </div>
    </dialog>
  )
}
