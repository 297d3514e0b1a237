// What a page is to the frame: its path, the role that sees it, its name in the navigation.

import type { JSX } from 'preact'
import type { Role } from './api'
import type { Messages } from './i18n/en'

export interface PageRoute {
  /** `/owner/gateways/:id`: the named parts reach the view. */
  path: string
  role: Role
  /** Listed in the navigation under its role's heading, by this name; absent for a page reached from another. */
  nav?: keyof Messages['nav']
  view: (params: Record<string, string>) => JSX.Element
}
