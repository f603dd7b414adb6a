import { appProject } from '../app/vitest.config'

// Issue 22: the product at MOUNT_PATH=/auth passes the existing flow tests. The same files as the
// app project (test/app), run again with the mount pinned: their helpers send every request under
// /auth and read every answer, redirect and mailed link back in the product's own paths, marking
// any URL of the product left outside /auth (test/app/mounted.ts), so a route, link, redirect or
// mail link the mount missed fails the same assertions that pass at the root.
const FLOWS = [
  'signup',
  'login',
  'welcome',
  'account',
  'password-reset',
  'email-verification',
  'email-change',
  'email-code',
  'two-factor',
  'next',
  'next-mail',
  'passkeys',
  'admin',
  'activity',
  'mail',
]

export default appProject({
  name: 'app-mounted',
  include: FLOWS.map((flow) => `${flow}.test.ts`),
  vars: { MOUNT_PATH: '/auth' },
})
