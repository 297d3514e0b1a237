// The hub's structured log: pino JSON lines on stdout, the logger Fastify itself builds on.

import pino from 'pino'
import type { FastifyBaseLogger } from 'fastify'
import type { LogLevel } from './config'

export function createLog(level: LogLevel, destination: pino.DestinationStream = pino.destination(1)): FastifyBaseLogger {
  return pino({ level, base: { service: 'payall-hub' } }, destination)
}
