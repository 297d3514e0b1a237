// A hub in a child process, for tests that kill it with SIGKILL: starts on the data directory
// named by PAYALL_DATA_DIR with free ports, and prints its URLs as one JSON line.

import { startHub } from '../../../hub/server'
import { hubConfig } from './running-hub'

startHub(hubConfig(process.env.PAYALL_DATA_DIR!)).then(
  hub => process.stdout.write(JSON.stringify({ httpUrl: hub.httpUrl, mqttUrl: hub.mqttUrl }) + '\n'),
  error => {
    process.stderr.write(String(error?.stack ?? error))
    process.exit(1)
  },
)
