import type { FieldErrors } from '../../core/forms/validate'
import {
  Alert,
  BackToAccount,
  Card,
  HxForm,
  NewPasswordField,
  SecondFactorField,
  SudoPasswordField,
} from '../../core/ui/components'

export type PasswordChangeErrors = FieldErrors<
  'current_password' | 'new_password' | 'second_factor'
>

interface PasswordProps {
  errors?: PasswordChangeErrors
  failure?: string
  passwordMinLength: number
  twoFactor?: boolean
  /** False for an account made by a provider: this form then sets its first password. */
  hasPassword: boolean
}

export function PasswordForm(props: PasswordProps) {
  const errors = props.errors ?? {}
  const verb = props.hasPassword ? 'Change password' : 'Set a password'
  return (
    <HxForm id="password-form" action="/account/password" label={verb}>
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <SudoPasswordField
        hasPassword={props.hasPassword}
        name="current_password"
        label="Current password"
        error={errors.current_password}
      />
      <SecondFactorField twoFactor={!!props.twoFactor} error={errors.second_factor} />
      <NewPasswordField
        name="new_password"
        label={props.hasPassword ? 'New password' : 'Password'}
        error={errors.new_password}
        minLength={props.passwordMinLength}
      />
      <button type="submit">{verb}</button>
    </HxForm>
  )
}

export function PasswordCard(props: PasswordProps) {
  return (
    <Card id="password" title={props.hasPassword ? 'Change password' : 'Set a password'}>
      <p>
        {props.hasPassword
          ? 'Every other device signed in to your account is signed out when you change it.'
          : 'With a password you can also sign in with your email address. Every other device signed in to your account is signed out when you set it.'}
      </p>
      <PasswordForm {...props} />
      <BackToAccount />
    </Card>
  )
}
