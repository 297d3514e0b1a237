// Builds the web dashboard for the hub to serve: esbuild bundles web/src into minified, content-hashed
// ES modules and one stylesheet under dist/web/public, each with gzip and brotli copies served as they are.

import { build, type Metafile } from 'esbuild'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib'

/** Where `npm run build` writes the dashboard; hub/http/web-app.ts serves it from here. */
export const WEB_PUBLIC_DIR = resolve(__dirname, 'public')
const SOURCE_DIR = resolve(__dirname, '..', '..', 'web')
const ASSETS_PREFIX = '/assets/'
/** Browsers the dashboard supports: ES modules and CSS as two-year-old phones have them. */
const BROWSER_TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100']

interface EntryAssets {
  script: string
  stylesheet: string | undefined
}

/** The entry's own script and stylesheet among the bundles esbuild wrote, as URL paths. */
function entryAssets(metafile: Metafile, outDir: string): EntryAssets {
  for (const [output, info] of Object.entries(metafile.outputs)) {
    if (info.entryPoint === undefined || !output.endsWith('.js')) continue
    const url = (file: string) => ASSETS_PREFIX + relative(join(outDir, 'assets'), resolve(file))
    return { script: url(output), stylesheet: info.cssBundle === undefined ? undefined : url(info.cssBundle) }
  }
  throw new Error('esbuild wrote no entry script')
}

/** Precompressed copies beside each text asset, so the hub never compresses on the request path. */
function compressAll(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) compressAll(path)
    else if (/\.(js|css|html|svg|map)$/.test(entry.name)) {
      const content = readFileSync(path)
      writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }))
      writeFileSync(`${path}.br`, brotliCompressSync(content, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }))
    }
  }
}

export async function buildWeb(outDir: string = WEB_PUBLIC_DIR): Promise<void> {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  const result = await build({
    entryPoints: { main: join(SOURCE_DIR, 'src', 'main.tsx') },
    outdir: join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    target: BROWSER_TARGETS,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
  })
  const assets = entryAssets(result.metafile, outDir)
  const tags = [
    ...(assets.stylesheet === undefined ? [] : [`<link rel="stylesheet" href="${assets.stylesheet}">`]),
    `<script type="module" src="${assets.script}"></script>`,
  ].join('\n')
  const template = readFileSync(join(SOURCE_DIR, 'index.html'), 'utf8')
  if (!template.includes('<!-- assets -->')) throw new Error('web/index.html lacks the <!-- assets --> marker')
  writeFileSync(join(outDir, 'index.html'), template.replace('<!-- assets -->', tags))
  compressAll(outDir)
}

if (require.main === module) {
  buildWeb().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
