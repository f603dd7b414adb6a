import { NEXT_PARAM } from '../http/next'

/**
 * Carries a checked `next` through a form, so a failed attempt, a second step or a detour through
 * signup still returns where the person was going. Give it only what `safeNext`/`nextFrom` returned.
 */
export function NextField(props: { next?: string }) {
  return props.next === undefined ? null : (
    <input type="hidden" name={NEXT_PARAM} value={props.next} />
  )
}
