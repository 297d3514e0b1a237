// Request validation: bodies are checked strictly (a JSON number is never taken for a string,
// an unknown field is an error, not silently dropped), while querystrings and path parameters,
// which are text on the wire, are coerced to the types their schemas name. Text people type for others to read has
// the format `printable-line` (hub/http/text.ts).

import Ajv, { type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { isPrintableLine, PRINTABLE_LINE_FORMAT } from './text'

const SHARED: Options = { allErrors: false, useDefaults: true, strict: false }

function build(options: Options): Ajv {
  const ajv = new Ajv({ ...SHARED, ...options })
  addFormats(ajv)
  ajv.addFormat(PRINTABLE_LINE_FORMAT, { type: 'string', validate: isPrintableLine })
  return ajv
}

/** A Fastify validator compiler: strict for bodies, coercing for the URL's parts. */
export function validatorCompiler(): FastifySchemaCompiler<object> {
  const strict = build({ coerceTypes: false, removeAdditional: false })
  const coercing = build({ coerceTypes: 'array', removeAdditional: false })
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema)
}
