// The devices a terminal uses, as small interfaces: each driver in hardware/ implements one, the
// simulator's emulators sit behind the same drivers, and the terminal depends only on these.

const DIGIT_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const
type DigitKey = (typeof DIGIT_KEYS)[number]
/** What a merchant can press: digits and the four function keys. */
export type Key = DigitKey | 'backspace' | 'clear' | 'enter' | 'cancel'

export function isKey(value: unknown): value is Key {
  return typeof value === 'string'
    && ((DIGIT_KEYS as readonly string[]).includes(value) || ['backspace', 'clear', 'enter', 'cancel'].includes(value))
}

export interface Keypad {
  /** The next key the merchant presses. */
  nextKey(): Promise<Key>
}

export interface PhoneLink {
  /**
   * Sends an encoded PaymentRequest to the tapped phone and resolves with its encoded PaymentResponse.
   * `signal` ends the wait for a tap (the counter stopping); a link that cannot stop waiting ignores it.
   */
  exchange(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>
}

type ScreenKind = 'amount' | 'tap' | 'checking' | 'online' | 'approved' | 'declined' | 'cancelled' | 'report'

export interface Screen {
  readonly kind: ScreenKind
  readonly lines: readonly string[]
}

export interface Display {
  show(screen: Screen): void
}

/** What a printer adds to the text when it can: the receipt's QR payload printed as a QR code. */
export interface PrintExtras {
  readonly qrPayload?: string
}

export interface Printer {
  print(text: string, extras?: PrintExtras): Promise<void>
}
