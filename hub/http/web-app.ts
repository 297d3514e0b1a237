// The web dashboard at `/`: its page, with a Content-Security-Policy that admits only the hub's own
// scripts and styles, and its content-hashed assets under /assets/, served precompressed and cached for good.

import { existsSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { HttpError } from './errors'

/** The build's output: dist/web/public beside the compiled hub, whether the hub runs compiled or from source. */
const PACKAGE_OR_DIST_DIR = resolve(__dirname, '..', '..')
const WEB_PUBLIC_DIR = basename(PACKAGE_OR_DIST_DIR) === 'dist'
  ? join(PACKAGE_OR_DIST_DIR, 'web', 'public')
  : join(PACKAGE_OR_DIST_DIR, 'dist', 'web', 'public')

/**
 * No inline script or style and nothing from elsewhere: what a user typed can never run as code. `data:` images
 * are the blank favicon; `blob:` the CSV downloads the page builds.
 */
export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000

export const webApp: FastifyPluginAsync<{ root?: string }> = async (app, { root = WEB_PUBLIC_DIR }) => {
  const indexPath = join(root, 'index.html')
  // Read once: the page is a few hundred bytes and names the assets of the build the hub started with.
  const page = existsSync(indexPath) ? readFileSync(indexPath) : undefined
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    if (page === undefined) {
      throw new HttpError(503, 'INTERNAL', `the web dashboard is not built (${indexPath} is missing): run npm run build`)
    }
    return reply
      .header('content-security-policy', WEB_CONTENT_SECURITY_POLICY)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page)
  })
  if (!existsSync(join(root, 'assets'))) return
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    // The build wrote .br and .gz beside each file; a file's name changes with its content, so it never goes stale.
    preCompressed: true,
    immutable: true,
    maxAge: ONE_YEAR_MS,
    index: false,
    schemaHide: true,
  })
}
