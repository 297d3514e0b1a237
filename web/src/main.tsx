// The dashboard's entry: restore the session from the refresh cookie if there is one, then render.

import { render } from 'preact'
import { refreshSession } from './api'
import { App } from './app'
import './styles.css'

const root = document.getElementById('app')!
void refreshSession().finally(() => {
  root.textContent = ''
  render(<App />, root)
})
