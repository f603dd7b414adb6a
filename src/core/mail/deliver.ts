import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { mountOf } from '../http/mount'
import { clientAddress } from '../http/request'
import { knownDevice } from '../security/device'
import { describeError, logEvent } from '../security/log'
import { mailStages, reserveInOrder } from '../security/throttle'
import { sendMail, type Mail } from './send'

/**
 * Runs `job` after the answer has gone (`executionCtx.waitUntil`), so neither the answer nor its
 * timing can depend on whether an account exists (ASVS 6.3.8, OWASP Forgot Password Cheat Sheet).
 * Failures are logged by kind only: no address, token or link.
 */
export function afterResponse<E extends AppEnv>(
  c: Context<E>,
  job: string,
  work: () => Promise<unknown>,
) {
  // Started on a later turn of the event loop, once the handler has returned its answer, so not a
  // single statement of the job runs before the answer leaves.
  const later = new Promise((resolve) => setTimeout(resolve, 0)).then(work)
  c.executionCtx.waitUntil(
    later.catch((err: unknown) =>
      logEvent('error', 'mail_job_failed', { job, ...describeError(err) }),
    ),
  )
}

/**
 * Reserves one message to `to` against the mail limits (throttle.ts `mailStages`): the client's
 * allowance first, then the recipient's, and the recipient's only when `worthSending` says the
 * lookup found something to send (an account for a reset, a free address for an email change), so
 * neither a refused client nor an address without an account can spend the owner's allowance. The
 * lookup runs in the first stage's round trip. A refusal is only logged, since the person already
 * got the same answer as for a send. Security notices (password changed, address changing) skip
 * this: otherwise someone could use up an inbox's allowance first and then act unseen. A request
 * from the recipient's own session or known device (device.ts) is not held to the recipient's
 * overall allowance, which others can use up together (OWASP Forgot Password Cheat Sheet: the
 * owner's own request still sends).
 */
export async function mailAllowedFor<E extends AppEnv, T>(
  c: Context<E>,
  job: string,
  to: string,
  lookup: Promise<T>,
  worthSending: (found: T) => boolean,
): Promise<{ allowed: boolean; found: T }> {
  const { config, db } = c.var
  const fromOwner =
    c.var.auth?.email === to || (await knownDevice(c, config.sessionSecret, to)) !== undefined
  const stages = await mailStages(config.sessionSecret, to, clientAddress(c), fromOwner)
  const [reservation, found] = await reserveInOrder(db, stages, lookup, worthSending)
  const allowed = reservation.allowed && worthSending(found)
  if (!reservation.allowed) logEvent('warn', 'mail_throttled', { job })
  return { allowed, found }
}

/** `mailAllowedFor` for a recipient known to be worth a message (a user's own address). */
export async function mailAllowed<E extends AppEnv>(c: Context<E>, job: string, to: string) {
  return (await mailAllowedFor(c, job, to, Promise.resolve(true), () => true)).allowed
}

/** Sends one message through the `EMAIL` binding and logs that it went (never to whom). */
export async function deliver<E extends AppEnv>(
  c: Context<E>,
  job: string,
  mail: Mail | Promise<Mail>,
) {
  await sendMail(c.env.EMAIL, c.var.config, await mail)
  logEvent('info', 'mail_sent', { job })
}

/**
 * Where links point: the origin this request reached. OWASP warns against building reset links from
 * a Host header; on Workers only this zone's routes reach the Worker (workers_dev is off), so the
 * request URL's host is one the operator configured, never one a client made up.
 */
export function linkOrigin(c: Context): string {
  // Under MOUNT_PATH, `${linkOrigin(c)}/reset/…` is the mounted page.
  return new URL(c.req.url).origin + mountOf(c)
}
