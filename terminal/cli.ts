#!/usr/bin/env node
// payall-terminal: the gateway runtime. Its payment loop, store and sync land with the
// issue "Terminal: offline payments, the SQLite store and MQTT sync"; until then it says so.

const HELP = `payall-terminal — the PayAll gateway runtime (offline payment terminal)

Usage: payall-terminal <command> [options]

Planned commands (not implemented yet in this version):
  init        create the data directory, the gateway's Ed25519 key and database
  provision   register with a hub: payall-terminal provision --hub URL --token T
  run         start the payment loop (--simulate for simulated devices)
  status      online/offline, unsynced count and amount, limits left
  sync        sync now and report what happened
  export      records as JSON lines, for audits

Options:
  -h, --help  show this help
`

function main(argv: string[]): number {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP)
    return 0
  }
  process.stderr.write(`payall-terminal: "${argv[0]}" is not implemented in this version (see --help)\n`)
  return 2
}

process.exitCode = main(process.argv.slice(2))
