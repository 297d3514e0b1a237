// Whether a broker lets a client in: what the tests of who gets into a broker ask.

import mqtt from 'mqtt'

/** Connects and resolves with the CONNACK's verdict: 'connected', or the refusal. */
export function tryConnect(url: string, options: mqtt.IClientOptions): Promise<string> {
  return new Promise(resolve => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 2_000, ...options })
    client.once('connect', () => { client.end(true); resolve('connected') })
    client.once('error', error => { client.end(true); resolve(`refused: ${error.message}`) })
  })
}
