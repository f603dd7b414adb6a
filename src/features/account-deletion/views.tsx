import {
  Alert,
  BackToAccount,
  Card,
  HxForm,
  SecondFactorField,
  SudoPasswordField,
} from '../../core/ui/components'

interface DeleteProps {
  error?: string
  failure?: string
  twoFactor?: boolean
  hasPassword: boolean
  codeError?: string
}

export function DeleteForm(props: DeleteProps) {
  return (
    <HxForm id="delete-form" action="/account/delete" label="Delete account">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <SudoPasswordField
        hasPassword={props.hasPassword}
        label="Your password"
        error={props.error}
      />
      <SecondFactorField twoFactor={!!props.twoFactor} error={props.codeError} />
      <button type="submit" class="danger">
        Delete my account
      </button>
    </HxForm>
  )
}

export function DeleteCard(props: DeleteProps) {
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
