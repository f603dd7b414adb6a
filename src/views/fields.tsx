import type { Child } from 'hono/jsx'

interface FieldProps {
  name: string
  label: string
  type?: string
  value?: string
  error?: string
  hint?: string
  autocomplete: string
  maxlength?: number
  autofocus?: boolean
}

/** A labelled input whose error is announced and tied to it (aria-describedby, aria-invalid). */
export function Field(props: FieldProps) {
  const id = `field-${props.name}`
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean)
  return (
    <div class={props.error ? 'field invalid' : 'field'}>
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        maxlength={props.maxlength}
        autofocus={props.autofocus}
        required
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described.length ? described.join(' ') : undefined}
      />
      {props.error && (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  )
}

export function Alert(props: { kind: 'error' | 'success'; children: Child }) {
  return (
    <p class={`alert ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  )
}

/**
 * A form that posts normally without JavaScript and, with htmx, swaps the answer into #main.
 * The server answers partial requests with #main's content, so the same markup serves both modes.
 */
export function HxForm(props: { action: string; label: string; children: Child }) {
  return (
    <form
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target="#main"
      aria-label={props.label}
    >
      {props.children}
    </form>
  )
}

/** A link that swaps #main in place with htmx and pushes the URL; a plain link without JavaScript. */
export function HxLink(props: { href: string; children: Child }) {
  return (
    <a href={props.href} hx-get={props.href} hx-target="#main" hx-push-url="true">
      {props.children}
    </a>
  )
}

/** The email field of both forms; only what the browser should autofill differs. */
export function EmailField(props: { value?: string; error?: string; autocomplete: string }) {
  return (
    <Field
      name="email"
      label="Email"
      type="email"
      value={props.value}
      error={props.error}
      autocomplete={props.autocomplete}
      maxlength={254}
    />
  )
}
