#!/usr/bin/env node
// payall-sim: fleets of virtual gateways and phones against a real hub. The fleet runner lands
// with the terminal issue; until then it says so.

const HELP = `payall-sim — run fleets of virtual PayAll gateways, phones and radios against a hub

Usage: payall-sim run --terminals N --customers M --payments P --offline-ratio R --seed S [--json]

Not implemented yet in this version: the fleet runner arrives with the terminal runtime.

Options:
  -h, --help  show this help
`

function main(argv: string[]): number {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP)
    return 0
  }
  process.stderr.write(`payall-sim: "${argv[0]}" is not implemented in this version (see --help)\n`)
  return 2
}

process.exitCode = main(process.argv.slice(2))
