// Every French string of the dashboard, typed by the English dictionary so no key is missing.

import type { Messages } from './en'
import { common } from './fr/common'
import { customer } from './fr/customer'
import { errors } from './fr/errors'
import { operator } from './fr/operator'
import { owner } from './fr/owner'

export const fr: Messages = { ...common, errors, customer, owner, operator }
