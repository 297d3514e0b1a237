// The frame around every page: skip link, header (language, who is signed in, sign out), the navigation
// of each role the user holds, the unverified-account banner, and the page the hash names.

import { useEffect, useState } from 'preact/hooks'
import { onSessionChange, signOut, signedInUser, type Role, type User } from './api'
import { closeLiveEvents, openLiveEvents, useLiveStatus } from './events'
import { LANGUAGES, language, setLanguage, useT, type Language } from './i18n'
import { match, navigate, usePath } from './router'
import type { PageRoute } from './routes'
import { customerRoutes } from './pages/customer'
import { operatorRoutes } from './pages/operator'
import { ownerRoutes, shopRoutes } from './pages/owner'
import { SignIn, SignUp, VerifyEmail } from './pages/sign-in'
import { Page } from './components/ui'

/** Roles in the order their sections appear; the first one a user holds is their home. */
const ROLE_ORDER: readonly Role[] = ['operator', 'owner', 'customer']
const ROUTES: readonly PageRoute[] = [...operatorRoutes, ...ownerRoutes, ...customerRoutes, ...shopRoutes]
const PUBLIC_PATHS = ['/sign-in', '/sign-up']

function homeOf(user: User): string {
  for (const role of ROLE_ORDER) {
    const first = ROUTES.find((route) => route.role === role && route.nav !== undefined && user.roles.includes(role))
    if (first !== undefined) return first.path
  }
  return '/verify'
}

function useUser(): User | null {
  const [user, setUser] = useState(signedInUser())
  useEffect(() => {
    const stop = onSessionChange(setUser)
    // A session that changed between the render and this effect (a refresh in flight) was not heard.
    setUser(signedInUser())
    return stop
  }, [])
  return user
}

function LanguagePicker() {
  const t = useT()
  return (
    <label class="language">
      <span class="visually-hidden">{t.app.language}</span>
      <select aria-label={t.app.language} value={language()} onChange={(event) => setLanguage((event.currentTarget as HTMLSelectElement).value as Language)}>
        {Object.entries(LANGUAGES).map(([code, dictionary]) => <option key={code} value={code} lang={code}>{dictionary.languageName}</option>)}
      </select>
    </label>
  )
}

/** The navigation entry the path is under: the longest one that is the path or a prefix of it (`/ops` is not current on `/ops/orders`). */
function currentNavPath(path: string): string | undefined {
  let best: string | undefined
  for (const route of ROUTES) {
    if (route.nav === undefined || !(path === route.path || path.startsWith(`${route.path}/`))) continue
    if (best === undefined || route.path.length > best.length) best = route.path
  }
  return best
}

function Navigation({ user, path }: { user: User; path: string }) {
  const t = useT()
  const current = currentNavPath(path)
  return (
    <nav aria-label={t.app.mainNavigation} class="nav">
      {ROLE_ORDER.filter((role) => user.roles.includes(role)).map((role) => (
        <div class="nav-group" key={role}>
          <h2 class="nav-heading">{t.nav[role]}</h2>
          <ul>
            {ROUTES.filter((route) => route.role === role && route.nav !== undefined).map((route) => (
              <li key={route.path}>
                <a href={`#${route.path}`} aria-current={route.path === current ? 'page' : undefined}>{t.nav[route.nav!]}</a>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  )
}

function Header({ user }: { user: User | null }) {
  const t = useT()
  const live = useLiveStatus()
  return (
    <header class="top">
      <a class="brand" href="#/">{t.app.name}</a>
      <div class="top-tools">
        {user === null ? null : <span class={live ? 'live on' : 'live'} role="status">{live ? t.app.liveConnected : t.app.liveDisconnected}</span>}
        <LanguagePicker />
        {user === null ? null : (
          <>
            <span class="who">{t.app.signedInAs(user.fullName)}</span>
            <button type="button" onClick={() => void signOut().then(() => navigate('/sign-in'))}>{t.app.signOut}</button>
          </>
        )}
      </div>
    </header>
  )
}

function NotFound() {
  const t = useT()
  return (
    <Page title={t.app.notFound}>
      <a href="#/">{t.app.backHome}</a>
    </Page>
  )
}

function SignedIn({ user, path }: { user: User; path: string }) {
  const t = useT()
  useEffect(() => {
    openLiveEvents()
    return closeLiveEvents
  }, [user.id])
  if (path === '/' || PUBLIC_PATHS.includes(path)) {
    navigate(homeOf(user))
    return null
  }
  const unverified = !user.emailVerified && !user.phoneVerified
  let view = path === '/verify' ? <VerifyEmail /> : <NotFound />
  for (const route of ROUTES) {
    const params = match(route.path, path)
    if (params !== null && user.roles.includes(route.role)) {
      // A component of its own (not called inline), keyed by the path: each page keeps its own hooks and
      // starts afresh when the path changes.
      const View = route.view
      view = <View key={path} {...params} />
      break
    }
  }
  return (
    <div class="layout">
      <Navigation user={user} path={path} />
      <main id="main" tabIndex={-1}>
        {unverified && path !== '/verify' ? (
          <p class="banner" role="note">{t.verify.banner} <a href="#/verify">{t.verify.bannerLink}</a></p>
        ) : null}
        {view}
      </main>
    </div>
  )
}

function SignedOut({ path }: { path: string }) {
  useEffect(() => {
    if (!PUBLIC_PATHS.includes(path)) navigate('/sign-in')
  }, [path])
  return <main id="main" tabIndex={-1}>{path === '/sign-up' ? <SignUp /> : <SignIn />}</main>
}

export function App() {
  const t = useT()
  const user = useUser()
  const path = usePath()
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById('main')?.focus() }}>{t.app.skipToContent}</a>
      <Header user={user} />
      {user === null ? <SignedOut path={path} /> : <SignedIn user={user} path={path} />}
    </>
  )
}
