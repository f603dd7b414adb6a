import { Alert, BackToAccount, Card, PasswordField, HxForm } from '../../core/ui/components'

export function DeleteForm(props: { error?: string; failure?: string }) {
  return (
    <HxForm id="delete-form" action="/account/delete" label="Delete account">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <PasswordField label="Your password" error={props.error} />
      <button type="submit" class="danger">
        Delete my account
      </button>
    </HxForm>
  )
}

export function DeleteCard(props: { error?: string; failure?: string }) {
  return (
    <Card id="delete" title="Delete account">
      <p>
        This removes your account, your sessions and everything else kept about you, at once and for
        good. Every device signed in to it is signed out.
      </p>
      <DeleteForm {...props} />
      <BackToAccount />
    </Card>
  )
}
