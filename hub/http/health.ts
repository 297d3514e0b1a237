// GET /health: that the hub answers, the schema version of its database and the version it runs.

import type { FastifyPluginAsync } from 'fastify'
import packageJson from '../../package.json'
import type { HubContext } from '../context'
import { schemaVersionOf } from '../store/database'

export const APP_VERSION: string = packageJson.version

interface HealthReply {
  status: 'ok'
  schemaVersion: number
  appVersion: string
}

const healthSchema = {
  summary: 'Liveness, database schema version and hub version',
  tags: ['health'],
  response: {
    200: {
      type: 'object',
      required: ['status', 'schemaVersion', 'appVersion'],
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: ['ok'] },
        schemaVersion: { type: 'integer', minimum: 0 },
        appVersion: { type: 'string' },
      },
    },
  },
} as const

export const healthRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  app.get<{ Reply: HealthReply }>('/health', { schema: healthSchema }, async () => ({
    status: 'ok',
    // Read from the file each time: it proves the database still answers.
    schemaVersion: schemaVersionOf(context.db),
    appVersion: APP_VERSION,
  }))
}
