/**
 * Protocol §9: `difyctl/<MAJOR.MINOR.PATCH[-PRE]>` at the start of User-Agent, compared numerically,
 * pre-releases below their release in the order dev < alpha/a < beta/b < rc, then by trailing number.
 * Anything unparseable passes (the gate fails open).
 */

export interface ClientVersion {
  major: number
  minor: number
  patch: number
  /** 0 dev, 1 alpha, 2 beta, 3 rc, 4 release. */
  stage: number
  stageNumber: number
}

const STAGES: Record<string, number> = {a: 1, alpha: 1, b: 2, beta: 2, dev: 0, rc: 3}

export function parseVersion(text: string): ClientVersion | null {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-([A-Za-z]+)[.-]?(\d+)?)?$/.exec(text)
  if (!match) return null
  const [, major, minor, patch, label, number] = match
  let stage = 4
  if (label !== undefined) {
    const known = STAGES[label.toLowerCase()]
    if (known === undefined) return null
    stage = known
  }

  return {major: Number(major), minor: Number(minor), patch: Number(patch), stage, stageNumber: Number(number ?? 0)}
}

export function compareVersions(a: ClientVersion, b: ClientVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.stage - b.stage || a.stageNumber - b.stageNumber
}

/** The version text a User-Agent claims, when it is a difyctl one; undefined otherwise. */
export function clientVersionText(userAgent: string | undefined): string | undefined {
  if (userAgent === undefined) return undefined
  const match = /^difyctl\/(\S+?)(?=$|[\s;(])/.exec(userAgent)
  return match ? match[1] : undefined
}

/** Returns the 426 message when the request must be refused, else null. */
export function versionGateMessage(userAgent: string | undefined, minimum: string | null): string | null {
  if (minimum === null) return null
  const min = parseVersion(minimum)
  const sent = clientVersionText(userAgent)
  if (min === null || sent === undefined) return null
  const version = parseVersion(sent)
  if (version === null || compareVersions(version, min) >= 0) return null
  return `difyctl ${sent} is no longer supported; upgrade to >= ${minimum}.`
}

export const UPGRADE_HINT = 'Upgrade difyctl: https://docs.dify.ai/en/cli/install'
