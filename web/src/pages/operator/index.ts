// The operator's pages, in the order the navigation lists them.

import type { PageRoute } from '../../routes'

export const operatorRoutes: PageRoute[] = []
