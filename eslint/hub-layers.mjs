// The hub reads from the top down: an ESLint rule that refuses an import running back up from a lower layer of
// hub/ to a higher one, and any import of a route file except by the app that registers the routes.
//
// Layers, top to bottom (a file's layer follows from its path alone):
//   0 composition root   hub/cli.ts, hub/server.ts, hub/app.ts, hub/services.ts
//   1 edges              **/routes.ts, **/*-routes.ts, **/plugin.ts, hub/mqtt-side.ts, and the JSON schemas and
//                        reply mappers the routes use: **/replies.ts, **/schemas.ts
//   2 services           everything else in a feature folder: services, decisions, formats
//   3 stores             **/store.ts, **/*-store.ts, **/tables.ts, hub/store/**
//   4 foundation         hub/context.ts, log.ts, bus.ts, config.ts, keys.ts, accounts.ts, http/roles.ts (the roles
//                        every layer names, the stores included), **/errors.ts, **/model.ts, **/ids.ts
// A file imports its own layer or the layers below it (`import type` included: a type names a dependency as well).
// A route file is imported only by hub/app.ts, which registers the route plugins, or by the routes.ts of its own
// folder when that one registers the folder's plugins as one (hub/money/routes.ts).
import path from 'node:path'

const ROOT = new Set(['cli.ts', 'server.ts', 'app.ts', 'services.ts'])
const FOUNDATION = new Set(['context.ts', 'log.ts', 'bus.ts', 'config.ts', 'keys.ts', 'accounts.ts', 'http/roles.ts'])
/** The file that registers every route plugin: the one importer a route file has. */
const ROUTE_REGISTRY = 'app.ts'
const LAYER_NAMES = ['the composition root', 'the edges', 'services', 'stores', 'the foundation']

function isRouteFile(relative) {
  const base = path.posix.basename(relative, '.ts')
  return base === 'routes' || base.endsWith('-routes')
}

/** The layer of a file given by its path relative to hub/. */
export function layerOf(relative) {
  const base = path.posix.basename(relative, '.ts')
  if (ROOT.has(relative)) return 0
  if (isRouteFile(relative) || base === 'plugin' || relative === 'mqtt-side.ts' || base === 'replies' || base === 'schemas') return 1
  if (FOUNDATION.has(relative) || base === 'errors' || base === 'model' || base === 'ids') return 4
  if (base === 'store' || base.endsWith('-store') || base === 'tables' || relative.startsWith('store/')) return 3
  return 2
}

function hubRelative(hubDir, file) {
  const relative = path.relative(hubDir, file)
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined
  return relative.split(path.sep).join('/')
}

function hubDirOf(file) {
  const parts = file.split(path.sep)
  const index = parts.lastIndexOf('hub')
  return index < 0 ? undefined : parts.slice(0, index + 1).join(path.sep)
}

const hubLayers = {
  meta: {
    type: 'problem',
    docs: { description: 'hub/ reads from the top down: no import from a lower layer to a higher one, no library route file' },
    schema: [],
    messages: {
      upward: '{{from}} ({{fromLayer}}) imports {{to}} ({{toLayer}}), a higher layer: move the shared part down.',
      routeFile: '{{from}} imports the route file {{to}}: only hub/app.ts (or its folder\'s routes.ts) registers routes; move what is shared into replies.ts or schemas.ts.',
    },
  },
  create(context) {
    const file = context.filename
    const hubDir = hubDirOf(path.dirname(file))
    if (hubDir === undefined) return {}
    const from = hubRelative(hubDir, file)
    if (from === undefined) return {}
    const fromLayer = layerOf(from)
    function check(node) {
      const source = node.source?.value
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const resolved = path.resolve(path.dirname(file), source)
      const to = hubRelative(hubDir, resolved.endsWith('.ts') ? resolved : `${resolved}.ts`)
      if (to === undefined) return
      const toLayer = layerOf(to)
      const registers = from === ROUTE_REGISTRY
        || (path.posix.basename(from) === 'routes.ts' && path.posix.dirname(from) === path.posix.dirname(to))
      if (isRouteFile(to) && !registers) {
        context.report({ node, messageId: 'routeFile', data: { from, to } })
      } else if (toLayer < fromLayer) {
        context.report({
          node, messageId: 'upward', data: { from, to, fromLayer: LAYER_NAMES[fromLayer], toLayer: LAYER_NAMES[toLayer] },
        })
      }
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check }
  },
}

export default { meta: { name: 'payall' }, rules: { 'hub-layers': hubLayers } }
