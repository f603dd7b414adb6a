import type { FieldErrors } from '../../core/forms/validate'
import {
  Alert,
  BackToAccount,
  Card,
  HxForm,
  NewPasswordField,
  PasswordField,
  SecondFactorField,
} from '../../core/ui/components'

export type PasswordChangeErrors = FieldErrors<
  'current_password' | 'new_password' | 'second_factor'
>

export function PasswordForm(props: {
  errors?: PasswordChangeErrors
  failure?: string
  passwordMinLength: number
  twoFactor?: boolean
}) {
  const errors = props.errors ?? {}
  return (
    <HxForm id="password-form" action="/account/password" label="Change password">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <PasswordField
        name="current_password"
        label="Current password"
        error={errors.current_password}
      />
      <SecondFactorField twoFactor={!!props.twoFactor} error={errors.second_factor} />
      <NewPasswordField
        name="new_password"
        label="New password"
        error={errors.new_password}
        minLength={props.passwordMinLength}
      />
      <button type="submit">Change password</button>
    </HxForm>
  )
}

export function PasswordCard(props: {
  errors?: PasswordChangeErrors
  failure?: string
  passwordMinLength: number
  twoFactor?: boolean
}) {
  return (
    <Card id="password" title="Change password">
      <p>Every other device signed in to your account is signed out when you change it.</p>
      <PasswordForm {...props} />
      <BackToAccount />
    </Card>
  )
}
