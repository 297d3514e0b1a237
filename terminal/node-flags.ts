// The V8 options the gateway process runs with, on the `payall-terminal` launcher's first line
// (`#!/usr/bin/env -S node …`) and in the bench's terminal process, so the bench measures what a
// gateway runs. --optimize-for-size keeps V8's young generation small: syncing 10,000 records
// otherwise grows the heap's reserved pages by about 30 MB that are never handed back, which on
// its own breaks the 80 MB budget (DESIGN "Budgets"); it costs a few percent of sync speed.

export const TERMINAL_NODE_FLAGS: readonly string[] = ['--optimize-for-size']

/** The launcher's first line. */
export const TERMINAL_SHEBANG = `#!/usr/bin/env -S node ${TERMINAL_NODE_FLAGS.join(' ')}`
