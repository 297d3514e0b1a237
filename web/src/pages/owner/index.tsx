// The gateway owner's pages, in the order the navigation lists them.

import type { PageRoute } from '../../routes'

export const ownerRoutes: PageRoute[] = []
