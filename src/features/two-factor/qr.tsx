import { encode } from 'uqr'

/**
 * The key URI as a QR code drawn on the server, an inline SVG (no external service, no script):
 * one path of unit squares, dark on a light square whatever the page's colour scheme, with a quiet
 * zone of four modules (ISO/IEC 18004). The secret is also shown as text beside it.
 */
export function QrCode(props: { text: string; label: string }) {
  const { data, size } = encode(props.text, { ecc: 'M', border: 4 })
  let path = ''
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`
    }),
  )
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${size} ${size}`}
      width="232"
      height="232"
      role="img"
      aria-label={props.label}
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  )
}
