import t from 'tap'
import { hubBaseUrl } from '../../protocol/hub-url'

t.test('a hub address without a scheme is http; http(s) URLs are kept without a trailing slash; anything else is refused', async t => {
  t.equal(hubBaseUrl('localhost:3001'), 'http://localhost:3001')
  t.equal(hubBaseUrl('127.0.0.1:3001/'), 'http://127.0.0.1:3001')
  t.equal(hubBaseUrl('http://127.0.0.1:3001'), 'http://127.0.0.1:3001')
  t.equal(hubBaseUrl('https://hub.example/payall//'), 'https://hub.example/payall')
  for (const bad of ['ftp://hub.example', 'mqtt://127.0.0.1:1883', 'not a url', '', 'http://']) t.equal(hubBaseUrl(bad), undefined, bad)
})
