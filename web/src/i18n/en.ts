// Every English string of the dashboard, one part per area; fr.ts must have the same keys (the compiler checks).

import { common } from './en/common'
import { customer } from './en/customer'
import { errors } from './en/errors'
import { operator } from './en/operator'
import { owner } from './en/owner'

export const en = { ...common, errors, customer, owner, operator }

export type Messages = typeof en
