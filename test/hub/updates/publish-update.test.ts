// payall-hub publish-update: a packed project signed with the hub's update key into a bundle that a
// gateway holding the published key takes, and that names the package's own version.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { decodeUpdateBundle } from '../../../protocol/update-bundle'
import { loadOrCreateUpdateKeys } from '../../../hub/updates/update-key'
import { publishUpdateCommand } from '../../../hub/updates/publish-update'
import { judgeBundle } from '../../../terminal/update/judge-bundle'
import { seededRandom } from '../mqtt/fixtures'

/** What `npm pack` makes of a project at `version`: package/… in a gzipped tar. */
function packedProject(dir: string, version: string): string {
  mkdirSync(join(dir, 'package', 'dist'), { recursive: true })
  writeFileSync(join(dir, 'package', 'dist', 'cli.js'), 'console.log("payall")\n')
  writeFileSync(join(dir, 'package', 'package.json'), JSON.stringify({ name: 'payall', version }))
  const tarball = join(dir, `payall-${version}.tgz`)
  execFileSync('tar', ['-czf', tarball, '-C', dir, 'package/dist/cli.js', 'package/package.json'])
  return tarball
}

function io() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) }, clock: new ManualClock(1_750_000_000_000), random: seededRandom(5) } }
}

t.test('signs the packed project with the update key into a bundle a gateway on an older release takes', async t => {
  const dir = t.testdir()
  const tarball = packedProject(dir, '0.7.3')
  const dataDir = join(dir, 'hub')
  mkdirSync(dataDir)
  const { out, err, io: commandIo } = io()
  t.equal(publishUpdateCommand([tarball, '--data-dir', dataDir], {}, commandIo), 0, err.join(''))
  t.match(out.join(''), /payall-0\.7\.3\.bundle: version 0\.7\.3/)
  const bytes = new Uint8Array(readFileSync(join(dir, 'payall-0.7.3.bundle')))
  const updateKey = loadOrCreateUpdateKeys(dataDir, () => { throw new Error('publish-update made the key') }).publicKey
  const judged = judgeBundle(bytes, updateKey, '0.7.2', nodeEd25519)
  t.equal(judged.manifest.version, '0.7.3', 'the version is the package\'s own')
  t.same(judged.package, new Uint8Array(readFileSync(tarball)), 'the package is carried byte for byte')
  t.throws(() => judgeBundle(bytes, updateKey, '0.7.3', nodeEd25519), { code: 'NOT_NEWER' })
  t.equal(decodeUpdateBundle(bytes).manifest.issuedAtMs, 1_750_000_000_000)
})

t.test('refuses what is not a packed project, and a missing package argument', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'notes.tgz'), 'not gzip')
  const first = io()
  t.equal(publishUpdateCommand([join(dir, 'notes.tgz'), '--data-dir', join(dir, 'hub')], {}, first.io), 1)
  t.match(first.err.join(''), /NOT_A_PACKAGE: not a gzipped package/)
  const second = io()
  t.equal(publishUpdateCommand(['--data-dir', dir], {}, second.io), 2)
  t.match(second.err.join(''), /give the PACKAGE\.tgz first/)
  const third = io()
  t.equal(publishUpdateCommand([join(dir, 'none.tgz'), '--data-dir', join(dir, 'hub')], {}, third.io), 1)
  t.match(third.err.join(''), /no package at/)
})
