// The reply of GET /metrics, shared by the API's route (routes.ts) and the loopback listener (listener.ts).

export const METRICS_DESCRIPTION = 'Prometheus text exposition format 0.0.4: records received, settled, duplicate and rejected by ' +
  'reason; faults of the hub by kind; the settle time per batch; the verify queue, MQTT clients, batches waiting for the chain ' +
  'and the notification outbox, read when scraped.'

export const METRICS_REPLY_SCHEMA = { type: 'string', description: 'text/plain; version=0.0.4' } as const
