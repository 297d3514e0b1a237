// For POST routes whose whole body is optional (a reason, a refresh token): Fastify validates an absent
// body against the schema as `undefined`, which no object schema accepts, so an absent body becomes {}.

import type { FastifyRequest } from 'fastify'

/** preValidation hook: a request without a body is validated, and handled, as `{}`. */
export async function absentBodyAsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {}
}
