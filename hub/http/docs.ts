// OpenAPI for every route, generated from the routes' JSON schemas: the document at /docs/json
// (and /docs/yaml), and Swagger UI at /docs.

import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import { APP_VERSION } from './health'
import { sharedPlugin } from './shared-plugin'

export const DOCS_PREFIX = '/docs'

export const docs = sharedPlugin('payall-docs', async (app) => {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'PayAll hub',
        description: 'Settles what offline payment terminals took; users, ledger, gateways and vouchers.',
        version: APP_VERSION,
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    // Shared schemas keep their $id as their name in the document (ErrorReply, not def-0).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
    },
  })
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    // The hub often runs on plain http (a LAN, a laptop): upgrading the page's own assets to https
    // would break the page there.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  })
})
