import {DifyError} from '../errors/dify-error.js'

/** The slice of the HTTP client the device flow needs (unauthenticated POSTs). */
export interface DeviceFlowTransport {
  request<T>(request: {
    method: 'POST'
    path: string
    body: Record<string, unknown>
    acceptStatuses?: number[]
    retryOn429?: boolean
    signal?: AbortSignal
  }): Promise<{status: number; body: T}>
}

export const CLIENT_ID = 'difyctl'

export interface DeviceCode {
  deviceCode: string
  userCode: string
  verificationUri: string
  expiresInS: number
  intervalS: number
}

export interface DeviceTokenPayload {
  token: string
  expiresAt: string | null
  subjectType: 'account' | 'external_sso'
  account: {id: string; email: string; name: string} | null
  subjectEmail: string | null
  subjectIssuer: string | null
  workspaces: Array<{id: string; name: string; role?: string}>
  defaultWorkspaceId: string | null
  tokenId: string | null
}

export type PollOutcome =
  | {kind: 'approved'; payload: DeviceTokenPayload}
  | {kind: 'denied'}
  | {kind: 'expired'}
  | {kind: 'pending'}
  | {kind: 'slow_down'}

function noDeviceFlow(cause?: unknown): DifyError {
  return new DifyError('unsupported_endpoint', 'this server has no device-flow sign-in endpoint', {
    cause,
    hint: 'difyctl needs Dify 1.18+ with OPENAPI_ENABLED and ENABLE_OAUTH_BEARER on; on self-hosted Dify pass the console API URL as --host',
  })
}

function protocolError(message: string, server?: unknown): DifyError {
  return new DifyError('bad_response', message, {
    hint: 'the server does not speak the device-flow protocol difyctl expects; check --host points at Dify',
    http: server === undefined ? undefined : {server},
  })
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

/** 404 on a device route means "no device flow here", whatever the transport calls it. */
function rethrowMissingRoute(error: unknown): never {
  if (error instanceof DifyError && error.http?.status === 404) throw noDeviceFlow(error)
  throw error
}

export async function requestDeviceCode(transport: DeviceFlowTransport, deviceLabel: string, signal?: AbortSignal): Promise<DeviceCode> {
  const response = await transport
    .request<unknown>({
      acceptStatuses: [400],
      body: {client_id: CLIENT_ID, device_label: deviceLabel},
      method: 'POST',
      path: 'oauth/device/code',
      // The code request creates server state; it is never repeated, not even after a 429.
      retryOn429: false,
      signal,
    })
    .catch(rethrowMissingRoute)
  const body = asRecord(response.body)
  if (response.status === 400) {
    if (body?.error === 'unsupported_client') {
      throw new DifyError('unsupported_endpoint', 'this server does not accept the difyctl client for device sign-in', {
        hint: 'ask the server operator to allow client_id "difyctl"',
        http: {server: response.body, status: 400},
      })
    }

    throw protocolError('the server rejected the device-code request', response.body)
  }

  const deviceCode = body?.device_code
  const userCode = body?.user_code
  const verificationUri = body?.verification_uri
  if (typeof deviceCode !== 'string' || !deviceCode || typeof userCode !== 'string' || !userCode || typeof verificationUri !== 'string') {
    throw protocolError('the device-code response lacks device_code, user_code or verification_uri', response.body)
  }

  let verification: URL
  try {
    verification = new URL(verificationUri)
  } catch {
    throw protocolError(`the verification URL "${verificationUri}" is not a URL`)
  }

  if (verification.protocol !== 'https:' && verification.protocol !== 'http:') throw protocolError('the verification URL is not http(s)')
  const expiresIn = Number(body?.expires_in)
  const interval = Number(body?.interval)
  return {
    deviceCode,
    expiresInS: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 900,
    // RFC 8628 §3.2: a missing or nonsensical interval means 5 seconds.
    intervalS: Number.isFinite(interval) && interval > 0 ? interval : 5,
    userCode,
    verificationUri,
  }
}

function parsePayload(body: unknown): DeviceTokenPayload {
  const record = asRecord(body)
  const token = record?.token
  if (typeof token !== 'string' || token.trim() === '') throw protocolError('the server approved the sign-in but sent no token')
  const account = asRecord(record?.account)
  const workspaces = Array.isArray(record?.workspaces) ? record.workspaces : []
  const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null)
  return {
    account:
      account && typeof account.email === 'string'
        ? {email: account.email, id: String(account.id ?? ''), name: typeof account.name === 'string' ? account.name : ''}
        : null,
    defaultWorkspaceId: str(record?.default_workspace_id),
    expiresAt: str(record?.expires_at),
    subjectEmail: str(record?.subject_email),
    subjectIssuer: str(record?.subject_issuer),
    subjectType: record?.subject_type === 'external_sso' ? 'external_sso' : 'account',
    token,
    tokenId: str(record?.token_id),
    workspaces: workspaces
      .map((workspace) => asRecord(workspace))
      .filter((workspace): workspace is Record<string, unknown> => typeof workspace?.id === 'string' && typeof workspace.name === 'string')
      .map((workspace) => ({
        id: workspace.id as string,
        name: workspace.name as string,
        ...(typeof workspace.role === 'string' ? {role: workspace.role} : {}),
      })),
  }
}

/** One poll of the token endpoint, classified. Transport failures (5xx, resets) are thrown. */
export async function pollDeviceToken(transport: DeviceFlowTransport, deviceCode: string, signal?: AbortSignal): Promise<PollOutcome> {
  const response = await transport
    .request<unknown>({
      acceptStatuses: [400],
      body: {client_id: CLIENT_ID, device_code: deviceCode},
      method: 'POST',
      path: 'oauth/device/token',
      retryOn429: false,
      signal,
    })
    .catch(rethrowMissingRoute)
  if (response.status >= 200 && response.status < 300) return {kind: 'approved', payload: parsePayload(response.body)}
  const error = asRecord(response.body)?.error
  switch (error) {
    case 'authorization_pending': {
      return {kind: 'pending'}
    }

    case 'slow_down': {
      return {kind: 'slow_down'}
    }

    case 'access_denied': {
      return {kind: 'denied'}
    }

    case 'expired_token': {
      return {kind: 'expired'}
    }

    default: {
      throw protocolError(
        typeof error === 'string' ? `unknown device-flow answer "${error}"` : `unexpected answer to the token poll (HTTP ${response.status})`,
        response.body,
      )
    }
  }
}
