// Marks a plugin as shared with its parent (what the fastify-plugin package does), so the hooks
// and decorators it adds, such as app.authenticate, reach the route plugins registered beside it.

import type { FastifyPluginAsync } from 'fastify'

export function sharedPlugin<Options extends Record<string, unknown>>(
  name: string,
  plugin: FastifyPluginAsync<Options>,
): FastifyPluginAsync<Options> {
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: name })
  return plugin
}
