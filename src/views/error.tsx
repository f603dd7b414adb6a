export function ErrorCard(props: { title: string; message: string }) {
  return (
    <section class="card" aria-labelledby="error-title">
      <h1 id="error-title" tabindex={-1}>
        {props.title}
      </h1>
      <p role="alert">{props.message}</p>
      <p>
        <a href="/">Back to sign in</a>
      </p>
    </section>
  )
}
