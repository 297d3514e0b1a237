// The hub reads from the top down: an ESLint rule that refuses an import running back up from a lower layer of
// hub/ to a higher one, and any import of a route file except by the app that registers the routes.
//
// Layers, top to bottom:
//   0 composition root   hub/cli.ts, hub/server.ts, hub/app.ts, hub/services.ts
//   1 edges              **/routes.ts, **/*-routes.ts, **/plugin.ts, hub/mqtt-side.ts, and the JSON schemas and
//                        reply mappers the routes use: **/replies.ts, **/schemas.ts
//   2 services           the rest of a feature folder that does I/O or leans on a store
//   3 stores             **/store.ts, **/*-store.ts, **/tables.ts, hub/store/**, and hub/context.ts (the handle on
//                        the database and the ledger that services are given)
//   4 pure core          the foundation by name (log.ts, bus.ts, config.ts, keys.ts, accounts.ts, http/roles.ts,
//                        **/errors.ts, **/model.ts, **/ids.ts) and every other feature file that is pure: it imports
//                        no I/O package (SQLite, fastify, MQTT, the chain, mail, the file system) and, in hub/, only
//                        pure files. "Pure core, thin shell" (STYLE.md): decisions, formats and settings sit at the
//                        bottom, where a store may use them too.
// A file imports its own layer or the layers below it (`import type` included: a type names a dependency as well).
// A route file is imported only by hub/app.ts, which registers the route plugins, or by the routes.ts of its own
// folder when that one registers the folder's plugins as one (hub/money/routes.ts).
import fs from 'node:fs'
import path from 'node:path'

const ROOT = new Set(['cli.ts', 'server.ts', 'app.ts', 'services.ts'])
const FOUNDATION = new Set(['log.ts', 'bus.ts', 'config.ts', 'keys.ts', 'accounts.ts', 'http/roles.ts'])
/** The file that registers every route plugin: the one importer a route file has. */
const ROUTE_REGISTRY = 'app.ts'
const LAYER_NAMES = ['the composition root', 'the edges', 'services', 'stores', 'the pure core']
/** Packages that do I/O: a file importing one of them (types aside) is not pure. */
const IO_PACKAGES = /^(better-sqlite3|fastify|@fastify\/.*|mqtt|aedes|aedes-persistence|ethers|nodemailer|node:fs|node:fs\/promises|node:http|node:https|node:child_process|node:worker_threads)$/
const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm

function isRouteFile(relative) {
  const base = path.posix.basename(relative, '.ts')
  return base === 'routes' || base.endsWith('-routes')
}

/** The layer a file's path gives it; 2 may still turn out pure (see layerOf). */
function layerByPath(relative) {
  const base = path.posix.basename(relative, '.ts')
  if (ROOT.has(relative)) return 0
  if (isRouteFile(relative) || base === 'plugin' || relative === 'mqtt-side.ts' || base === 'replies' || base === 'schemas') return 1
  if (FOUNDATION.has(relative) || base === 'errors' || base === 'model' || base === 'ids') return 4
  if (base === 'store' || base.endsWith('-store') || base === 'tables' || relative.startsWith('store/') || relative === 'context.ts') return 3
  return 2
}

/** Whether a hub file (relative to hubDir) is pure: no I/O package, and only pure hub files imported. */
function isPure(hubDir, relative, memo, visiting = new Set()) {
  if (memo.has(relative)) return memo.get(relative)
  if (visiting.has(relative)) return true
  visiting.add(relative)
  const layer = layerByPath(relative)
  let pure = layer === 4
  if (layer === 2) {
    pure = true
    let source = ''
    try { source = fs.readFileSync(path.join(hubDir, relative), 'utf8') } catch { source = '' }
    for (const match of source.matchAll(IMPORT)) {
      const typeOnly = match[2] !== undefined
      const specifier = match[3]
      if (!specifier.startsWith('.')) {
        if (!typeOnly && IO_PACKAGES.test(specifier)) { pure = false; break }
        continue
      }
      const target = hubRelative(hubDir, path.resolve(path.dirname(path.join(hubDir, relative)), `${specifier}.ts`))
      if (target !== undefined && !isPure(hubDir, target, memo, visiting)) { pure = false; break }
    }
  }
  visiting.delete(relative)
  memo.set(relative, pure)
  return pure
}

/** The layer of a file given by its path relative to hub/ (and, for a feature file, by what it imports). */
export function layerOf(hubDir, relative, memo = new Map()) {
  const layer = layerByPath(relative)
  return layer === 2 && isPure(hubDir, relative, memo) ? 4 : layer
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
    const memo = new Map()
    const fromLayer = layerOf(hubDir, from, memo)
    function check(node) {
      const source = node.source?.value
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const resolved = path.resolve(path.dirname(file), source)
      const to = hubRelative(hubDir, resolved.endsWith('.ts') ? resolved : `${resolved}.ts`)
      if (to === undefined) return
      const toLayer = layerOf(hubDir, to, memo)
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
