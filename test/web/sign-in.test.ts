import t from 'tap'
import { focusState, tabTo, type FocusState } from './browser'
import { DICTIONARIES, LANGS, webSuite, type Lang } from './world'

// The sign-in page, the first thing anyone sees: in both languages, by keyboard alone, with the
// hub's refusals translated, under a CSP with no inline script, clean for axe and the console.

const web = webSuite(t)

const other = (lang: Lang): Lang => LANGS.find(candidate => candidate !== lang)!

web.test('the sign-in page speaks the browser\'s language, sets <html lang>, and remembers another one chosen over a reload', async ({ t, page, lang, text, look }) => {
  await page.goto('/')
  await page.getByRole('heading', { level: 1, name: text.signIn.title }).waitFor()
  t.equal(await page.getAttribute('html', 'lang'), lang)
  t.match(page.url(), /#\/sign-in$/, 'a signed-out visitor is sent to the sign-in page')
  await look('sign-in')

  const chosen = DICTIONARIES[other(lang)]
  const picker = page.getByRole('combobox', { name: text.app.language })
  t.same(await picker.locator('option').allTextContents(), [DICTIONARIES.en.languageName, DICTIONARIES.fr.languageName],
    'each language is offered under its own name')
  await picker.selectOption({ label: chosen.languageName })
  await page.getByRole('heading', { level: 1, name: chosen.signIn.title }).waitFor()
  t.equal(await page.getAttribute('html', 'lang'), other(lang))

  await page.reload()
  await page.getByRole('heading', { level: 1, name: chosen.signIn.title }).waitFor()
  t.equal(await page.getAttribute('html', 'lang'), other(lang), 'the choice outlives a reload')
  t.ok(await page.getByRole('combobox', { name: chosen.app.language }).isVisible(), 'the picker is labelled in the chosen language')
})

web.test('signs in and out by keyboard alone, the focus visible at every stop', async ({ t, page, text, world }) => {
  await page.goto('/#/sign-in')
  await page.getByRole('heading', { level: 1, name: text.signIn.title }).waitFor()
  const visible = (stops: FocusState[], what: string) => {
    for (const stop of stops) t.ok(stop.focusVisible && stop.ringVisible, `${what}: the focus on <${stop.tag}> "${stop.name}" is visible`)
  }

  visible(await tabTo(page, focus => focus.name === text.signIn.identifier), 'to the email field')
  await page.keyboard.type(world.owner.email)
  visible(await tabTo(page, focus => focus.name === text.signIn.password), 'to the password field')
  await page.keyboard.type(world.owner.password)
  await page.keyboard.press('Enter')
  await page.getByRole('navigation', { name: text.app.mainNavigation }).waitFor()

  visible(await tabTo(page, focus => focus.name === text.app.signOut, { backwards: true }), 'back to the sign-out button')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: text.signIn.title }).waitFor()
  t.not((await focusState(page)).tag, 'body', 'after signing out the focus lands on the page, not lost')
})

web.test('a signed-in user who opens the dashboard again is still signed in, on their home page', async ({ t, page, text, world, guard, signIn }) => {
  await signIn(world.customers[0]!)
  await page.getByRole('main').getByRole('heading', { level: 1 }).filter({ hasNotText: text.signIn.title }).waitFor()
  // A new page load: the access token was in the old page's memory; the refresh cookie restores the session.
  await guard.leave(() => page.goto('/'))
  await page.getByRole('navigation', { name: text.app.mainNavigation }).waitFor()
  const title = page.getByRole('main').getByRole('heading', { level: 1 })
  await title.waitFor()
  t.not(await title.textContent(), text.signIn.title)
  t.notMatch(page.url(), /#\/$/, 'sent on from / to a page of theirs')
})

web.test('a wrong password is refused with the hub\'s error in the reader\'s language', async ({ t, page, text, world, guard }) => {
  guard.expect({ status: 401, method: 'POST', path: '/users/login' })
  await page.goto('/#/sign-in')
  await page.getByLabel(text.signIn.identifier).fill(world.customers[0]!.email)
  await page.getByLabel(text.signIn.password, { exact: true }).fill('not the password 1')
  await page.getByRole('button', { name: text.signIn.submit }).click()
  t.equal(await page.getByRole('alert').textContent(), text.errors.UNAUTHORIZED)
  t.ok(await page.getByRole('heading', { level: 1, name: text.signIn.title }).isVisible(), 'still on the sign-in page')
})

t.test('the dashboard\'s page is served with a CSP that runs no inline script', async t => {
  const response = await fetch(`${web.world.url}/`)
  t.equal(response.status, 200)
  const policy = response.headers.get('content-security-policy') ?? ''
  const scripts = policy.split(';').map(directive => directive.trim().split(/\s+/)).find(([name]) => name === 'script-src')
  t.ok(scripts !== undefined, `the policy names where scripts come from: ${policy}`)
  t.same(scripts!.slice(1).filter(source => source === "'unsafe-inline'" || source === "'unsafe-eval'" || source.startsWith("'nonce-") || source.startsWith("'sha")), [],
    'no inline or evaluated script is allowed')
})
