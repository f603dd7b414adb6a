import { Card } from './components'

export function ErrorCard(props: { title: string; message: string }) {
  return (
    <Card id="error" title={props.title}>
      <p role="alert">{props.message}</p>
      <p>
        <a href="/">Back to sign in</a>
      </p>
    </Card>
  )
}
