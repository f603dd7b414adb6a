// Passkeys (WebAuthn) inside ordinary forms: the server renders the options into the form's
// data-options; this fills its hidden `credential` field with the browser's answer and posts the
// form as usual. Without WebAuthn (or JavaScript) the passkey controls stay hidden.
'use strict'
;(() => {
  const PKC = window.PublicKeyCredential
  if (!PKC || !navigator.credentials) return

  const toBytes = (s) =>
    Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0))
  const toText = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
  const ids = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }))

  // The browser's own parsers where present, else the few fields that are bytes.
  function creationOptions(o) {
    if (PKC.parseCreationOptionsFromJSON) return PKC.parseCreationOptionsFromJSON(o)
    return {
      ...o,
      challenge: toBytes(o.challenge),
      user: { ...o.user, id: toBytes(o.user.id) },
      excludeCredentials: ids(o.excludeCredentials),
    }
  }
  function requestOptions(o) {
    if (PKC.parseRequestOptionsFromJSON) return PKC.parseRequestOptionsFromJSON(o)
    return { ...o, challenge: toBytes(o.challenge), allowCredentials: ids(o.allowCredentials) }
  }
  function toJSON(cred) {
    try {
      if (cred.toJSON) return cred.toJSON()
    } catch {}
    const r = cred.response
    const response = { clientDataJSON: toText(r.clientDataJSON) }
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject)
      response.transports = r.getTransports ? r.getTransports() : []
    } else {
      response.authenticatorData = toText(r.authenticatorData)
      response.signature = toText(r.signature)
      response.userHandle = r.userHandle ? toText(r.userHandle) : null
    }
    return { id: cred.id, rawId: toText(cred.rawId), type: cred.type, response }
  }

  let pending // the conditional request in flight, aborted by an explicit one

  function show(box, message) {
    const p = box.querySelector('.passkey-error')
    if (!p) return
    p.textContent = message
    p.hidden = !message
  }

  async function ceremony(form, conditional) {
    const options = JSON.parse(form.dataset.options)
    if (pending) pending.abort()
    const controller = new AbortController()
    if (conditional) pending = controller
    show(form, '')
    try {
      const cred =
        form.dataset.passkey === 'create'
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({
              publicKey: requestOptions(options),
              mediation: conditional ? 'conditional' : undefined,
              signal: controller.signal,
            })
      if (!cred) return
      form.elements.credential.value = JSON.stringify(toJSON(cred))
      form.classList.add('is-submitting')
      form.submit()
    } catch (error) {
      // Autofill that ends without a passkey (none saved, dismissed) is no failure to show.
      if (conditional || (error && error.name === 'AbortError')) return
      show(
        form,
        error && error.name === 'InvalidStateError'
          ? 'This device already has a passkey for your account.'
          : 'The passkey was not used. Try again, or sign in another way.',
      )
    }
  }

  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target
      if (!form.dataset || !form.dataset.passkey) return
      if (form.elements.credential.value) return
      event.preventDefault()
      event.stopPropagation()
      ceremony(form, false)
    },
    true,
  )

  async function conditionalSignIn(form) {
    if (!PKC.isConditionalMediationAvailable || !(await PKC.isConditionalMediationAvailable())) {
      return
    }
    ceremony(form, true)
  }

  // A fragment of the app's (same origin, no-store), or nothing when it has none to give.
  async function fragment(url, selector) {
    const res = await fetch(url, {
      headers: { 'HX-Request': 'true', 'HX-Request-Type': 'partial' },
    })
    if (res.status !== 200) return null
    return new DOMParser().parseFromString(await res.text(), 'text/html').querySelector(selector)
  }

  async function load(slot) {
    const url = slot.getAttribute('data-passkey-load')
    slot.removeAttribute('data-passkey-load')
    const form = await fragment(url, 'form[data-passkey]')
    if (!form) return
    slot.append(document.adoptNode(form))
    setUp(slot)
    conditionalSignIn(form)
  }

  // Sudo mode: a form's second factor (core's SecondFactorField) answered with a passkey. One
  // offer (one challenge) per page, in every such form that is not itself a passkey ceremony.
  async function offer(root) {
    const slots = [...root.querySelectorAll('[data-second-factor-slot]')].filter(
      (slot) => !slot.firstChild && !slot.closest('form[data-passkey]'),
    )
    if (!slots.length) return
    for (const slot of slots) slot.append(document.createComment(''))
    const offered = await fragment('/account/passkeys/confirm', '[data-passkey-confirm]')
    if (!offered) return
    for (const slot of slots) {
      slot.append(document.importNode(offered, true))
      slot.hidden = false
    }
  }

  async function confirm(box) {
    const form = box.closest('form')
    const code = form.querySelector('input[name="second_factor"]:not([type="hidden"])')
    // The code is not needed now; the rest of the form (the password) still is.
    code.disabled = true
    if (!form.reportValidity()) {
      code.disabled = false
      return
    }
    show(box, '')
    try {
      const cred = await navigator.credentials.get({
        publicKey: requestOptions(JSON.parse(box.dataset.options)),
      })
      let answer = form.querySelector('input[type="hidden"][name="second_factor"]')
      if (!answer) {
        answer = document.createElement('input')
        answer.type = 'hidden'
        answer.name = 'second_factor'
        form.append(answer)
      }
      answer.value = JSON.stringify(toJSON(cred))
      form.requestSubmit()
    } catch {
      code.disabled = false
      show(box, 'The passkey was not used. Try again, or enter a code.')
    }
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('[data-passkey-confirm] button')
    if (button) confirm(button.closest('[data-passkey-confirm]'))
  })

  // WebAuthn Signal API (where the browser has it; a no-op elsewhere): what the server found.
  function signal(root) {
    const all = (name) => [...root.querySelectorAll(`[data-passkey-${name}]`)]
    const send = (method, el, attribute) => {
      const value = el.getAttribute(attribute)
      el.removeAttribute(attribute) // once, not again after every htmx settle
      if (PKC[method]) PKC[method](JSON.parse(value)).catch(() => {})
    }
    // After a removal: the password manager stops offering the passkeys removed here.
    for (const el of all('accepted')) send('signalAllAcceptedCredentials', el, 'data-passkey-accepted')
    // At sign-in, a passkey the server does not know (removed elsewhere, or its account deleted).
    for (const el of all('unknown')) send('signalUnknownCredential', el, 'data-passkey-unknown')
    // After a username change: the name the password manager shows for the account's passkeys.
    const changed = root.querySelector('[data-notice="username_changed"]')
    if (changed) changed.removeAttribute('data-notice')
    if (changed && PKC.signalCurrentUserDetails) {
      fragment('/account/passkeys/details', '[data-passkey-user]')
        .then((el) => el && send('signalCurrentUserDetails', el, 'data-passkey-user'))
        .catch(() => {})
    }
  }

  function setUp(root) {
    for (const el of root.querySelectorAll('[data-passkey-only], form[data-passkey]')) {
      el.hidden = false
    }
    for (const el of root.querySelectorAll('.passkey-nojs')) el.hidden = true
    for (const slot of root.querySelectorAll('[data-passkey-load]')) {
      load(slot).catch(() => {})
    }
    offer(root).catch(() => {})
    signal(root)
  }

  document.addEventListener('htmx:after:settle', () => setUp(document))
  setUp(document)
})()
