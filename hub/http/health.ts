// GET /health: that the hub answers, the schema version of its database and the version it runs.

import type { FastifyPluginAsync } from 'fastify'
import packageJson from '../../package.json'
import type { HubContext } from '../context'

export const APP_VERSION: string = packageJson.version

interface HealthReply {
  status: 'ok'
  /** The engine the hub stores on; its schema versions are numbered apart. */
  database: 'sqlite' | 'postgres'
  schemaVersion: number
  /** Whether this hub runs the work of one hub at a time (sweepers, anchoring, notifications): always true on SQLite. */
  leader: boolean
  appVersion: string
}

const healthSchema = {
  summary: 'Liveness, database schema version and hub version',
  tags: ['health'],
  response: {
    200: {
      type: 'object',
      required: ['status', 'database', 'schemaVersion', 'leader', 'appVersion'],
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['ok'] },
        database: { type: 'string', enum: ['sqlite', 'postgres'] },
        schemaVersion: { type: 'integer', minimum: 0 },
        leader: { type: 'boolean' },
        appVersion: { type: 'string' },
      },
    },
  },
} as const

export const healthRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  app.get<{ Reply: HealthReply }>('/health', { schema: healthSchema }, async () => ({
    status: 'ok',
    database: context.store.kind,
    // Read from the database each time: it proves the database still answers.
    schemaVersion: await context.store.schemaVersion(),
    leader: context.store.leadership.leading,
    appVersion: APP_VERSION,
  }))
}
