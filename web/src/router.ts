// Hash routing (`/#/owner/gateways/abc`): the hub serves one page at `/`, and API paths stay the API's.

import { useEffect, useState } from 'preact/hooks'

function currentPath(): string {
  const path = location.hash.replace(/^#/, '')
  return path.startsWith('/') ? path : '/'
}

export function navigate(path: string): void {
  if (currentPath() !== path) location.hash = path
}

/** The path after the hash; the component renders again when it changes. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath())
  useEffect(() => {
    const changed = () => setPath(currentPath())
    addEventListener('hashchange', changed)
    // A navigation made before this effect ran (the first render's redirect home) fired its event unheard.
    changed()
    return () => removeEventListener('hashchange', changed)
  }, [])
  return path
}

/** `pattern` like `/owner/gateways/:id` against `path`: the named parts, or null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/')
  const have = path.split('?')[0]!.split('/')
  if (want.length !== have.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(have[i]!)
    else if (part !== have[i]) return null
  }
  return params
}
