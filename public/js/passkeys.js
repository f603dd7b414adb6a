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

  function show(form, message) {
    const p = form.querySelector('.passkey-error')
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

  async function load(slot) {
    const url = slot.getAttribute('data-passkey-load')
    slot.removeAttribute('data-passkey-load')
    const res = await fetch(url, {
      headers: { 'HX-Request': 'true', 'HX-Request-Type': 'partial' },
    })
    if (!res.ok) return
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html')
    const form = doc.querySelector('form[data-passkey]')
    if (!form) return
    slot.append(document.adoptNode(form))
    setUp(slot)
    conditionalSignIn(form)
  }

  function setUp(root) {
    for (const el of root.querySelectorAll('[data-passkey-only], form[data-passkey]')) {
      el.hidden = false
    }
    for (const el of root.querySelectorAll('.passkey-nojs')) el.hidden = true
    for (const slot of root.querySelectorAll('[data-passkey-load]')) {
      load(slot).catch(() => {})
    }
    // WebAuthn Signal API: the password manager stops offering passkeys removed here.
    const accepted = root.querySelector('[data-passkey-accepted]')
    if (accepted && PKC.signalAllAcceptedCredentials) {
      PKC.signalAllAcceptedCredentials(JSON.parse(accepted.dataset.passkeyAccepted)).catch(() => {})
    }
  }

  document.addEventListener('htmx:after:settle', () => setUp(document))
  setUp(document)
})()
