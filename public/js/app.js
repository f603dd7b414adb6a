// Progressive enhancement for the forms: everything here is optional, the pages work without it.
// Loaded with `defer` from 'self' (the CSP forbids inline code), after htmx.
'use strict'

/**
 * A show-password button after each password input. It exists only with JavaScript, since it does
 * nothing without it; its name stays "Show password" and aria-pressed carries the state.
 */
function addPasswordToggles(root) {
  for (const input of root.querySelectorAll('input[type="password"]:not([data-reveal])')) {
    input.setAttribute('data-reveal', '')
    // Moving a focused input into the wrapper would drop its focus: give it back.
    const focused = document.activeElement === input
    const wrap = document.createElement('div')
    wrap.className = 'reveal'
    input.before(wrap)
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'reveal-toggle'
    button.textContent = 'Show'
    button.setAttribute('aria-label', 'Show password')
    button.setAttribute('aria-pressed', 'false')
    button.setAttribute('aria-controls', input.id)
    wrap.append(input, button)
    if (focused) input.focus()
  }
}

function setRevealed(button, revealed) {
  const input = document.getElementById(button.getAttribute('aria-controls'))
  if (!input) return
  input.type = revealed ? 'text' : 'password'
  button.setAttribute('aria-pressed', String(revealed))
  button.textContent = revealed ? 'Hide' : 'Show'
}

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element && event.target.closest('.reveal-toggle')
  if (button) setRevealed(button, button.getAttribute('aria-pressed') !== 'true')
})

// Hide passwords again before a form leaves, so password managers see a password field and the
// value is not left readable on a shared screen.
document.addEventListener(
  'submit',
  (event) => {
    for (const button of event.target.querySelectorAll('.reveal-toggle[aria-pressed="true"]')) {
      setRevealed(button, false)
    }
  },
  true,
)

// htmx guards its own requests (hx-disable, hx-sync). A plain post (htmx not loaded yet, or failed
// to load) gets the same treatment here: one submit per page, with the button shown busy.
document.addEventListener('submit', (event) => {
  if (event.defaultPrevented) return
  const form = event.target
  if (form.classList.contains('is-submitting')) {
    event.preventDefault()
    return
  }
  form.classList.add('is-submitting')
  // After this task: disabling the submitter synchronously could drop it from the submission.
  setTimeout(() => {
    for (const button of form.querySelectorAll('button')) button.disabled = true
  })
})

// Back/forward cache: a page restored after a plain post must be usable again.
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return
  for (const form of document.querySelectorAll('form.is-submitting')) {
    form.classList.remove('is-submitting')
    for (const button of form.querySelectorAll('button')) button.disabled = false
  }
})

document.addEventListener('htmx:after:swap', () => addPasswordToggles(document))

// After a swap, put focus where a full page load would: on the field to fix (the server marks it
// with autofocus), else on the new heading, so keyboard and screen-reader users start on the new
// content instead of on <body>.
document.addEventListener('htmx:after:settle', () => {
  const main = document.getElementById('main')
  if (!main) return
  addPasswordToggles(main)
  const target =
    main.querySelector('[autofocus]') ||
    main.querySelector('[aria-invalid="true"]') ||
    main.querySelector('h1')
  if (target && document.activeElement !== target) target.focus()
})

addPasswordToggles(document)
