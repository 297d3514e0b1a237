// The hub's replies that more than one area of the dashboard reads, under the names the pages use: the hub's own
// types (type imports only: nothing of the hub reaches the bundle).

import type { CatalogEntryReply, PageReply, StatusReply } from '../../hub/gateways/wire'

/** A paged list as /orders, /gateways, /owner/gateways and /anchors reply. */
export type Paged<T> = PageReply<T>
/** GET /gateways and GET /gateways/{id}: a catalog entry, one device. */
export type CatalogEntry = CatalogEntryReply
/** GET /gateways/{id}/status. */
export type GatewayStatus = StatusReply
