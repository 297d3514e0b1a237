// `npm run bench`: runs every suite in one process and prints one JSON object per line.
// Figures that are compared (ratios) are measured in the same run, on the same noisy machine.

import { benchAnchor } from './anchor'
import { benchCluster } from './cluster'
import { benchGateway } from './gateway'
import { benchFleet, benchHub, benchLate } from './hub'
import { benchLedger } from './ledger'
import { benchLegacy } from './legacy'
import { benchMerkle } from './merkle'
import type { Metric, Suite } from './metric'
import { benchProtocol } from './protocol'
import { benchTerminal } from './terminal'
import { benchWeb } from './web'

const SUITES: ReadonlyArray<readonly [string, Suite]> = [
  ['protocol', benchProtocol],
  ['merkle', benchMerkle],
  ['ledger', benchLedger],
  ['hub', benchHub],
  ['late', benchLate],
  ['anchor', benchAnchor],
  ['terminal', benchTerminal],
  ['gateway', benchGateway],
  ['web', benchWeb],
  ['legacy', benchLegacy],
  ['fleet', benchFleet],
  ['cluster', benchCluster],
]

async function main(): Promise<void> {
  const only = process.argv.slice(2)
  for (const [name, suite] of SUITES) {
    if (only.length > 0 && !only.includes(name)) continue
    const metrics: Metric[] = await suite()
    for (const metric of metrics) process.stdout.write(JSON.stringify(metric) + '\n')
  }
}

main().catch(error => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
})
