import {expect} from 'chai'

import type {TestEmulator} from '../support/emulator.js'

/** Small HTTP helpers over Node's fetch (real sockets); responses are read whole. */

export const UA = 'difyctl/0.3.0 (linux; x64)'

export interface Answer {
  status: number
  headers: Headers
  text: string
  json: any
}

export interface RequestOptions {
  body?: unknown
  /** Sent as-is instead of JSON. */
  rawBody?: string
  headers?: Record<string, string>
  token?: string
}

export async function request(base: string, method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {'User-Agent': UA, ...options.headers}
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['Content-Type'] ??= 'application/json'
  }

  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`
  const url = path.startsWith('/') ? `${base}${path}` : `${base}/openapi/v1/${path}`
  const response = await fetch(url, {body, headers, method, redirect: 'manual'})
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }

  return {headers: response.headers, json, status: response.status, text}
}

export const api = {
  get: (emu: TestEmulator, path: string, options?: RequestOptions) => request(emu.url, 'GET', path, options),
  post: (emu: TestEmulator, path: string, body?: unknown, options?: RequestOptions) => request(emu.url, 'POST', path, {...options, body}),
  delete: (emu: TestEmulator, path: string, options?: RequestOptions) => request(emu.url, 'DELETE', path, options),
}

export interface CodeResponse {
  device_code: string
  user_code: string
  verification_uri: string
  expires_in: number
  interval: number
}

export async function newCode(emu: TestEmulator, label = 'difyctl on test-box'): Promise<CodeResponse> {
  const answer = await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: label})
  expect(answer.status, answer.text).to.equal(200)
  return answer.json as CodeResponse
}

export function poll(emu: TestEmulator, deviceCode: string): Promise<Answer> {
  return api.post(emu, 'oauth/device/token', {client_id: 'difyctl', device_code: deviceCode})
}

/** A full login: code, approval through the control API, one (first, never slowed) poll. */
export async function login(emu: TestEmulator, options: {label?: string; email?: string} = {}) {
  const code = await newCode(emu, options.label)
  await emu.control.approve(code.user_code, options.email)
  const answer = await poll(emu, code.device_code)
  expect(answer.status, answer.text).to.equal(200)
  return answer.json as {token: string; token_id: string; expires_at: string; account: {id: string; email: string; name: string}; default_workspace_id: string | null}
}

/** Visits the approval page and returns the browser-session cookie it sets (`name=value`). */
export async function browserCookie(emu: TestEmulator): Promise<string> {
  const response = await fetch(`${emu.url}/device`)
  await response.text()
  const cookie = response.headers.get('set-cookie')
  expect(cookie, 'GET /device sets a cookie').to.be.a('string')
  return (cookie as string).split(';')[0]
}

export function expectErrorBody(answer: Answer, status: number, code: string, message?: string): void {
  expect(answer.status, answer.text).to.equal(status)
  expect(answer.headers.get('content-type')).to.equal('application/json')
  expect(answer.json.code).to.equal(code)
  expect(answer.json.status).to.equal(status)
  expect(answer.json.message).to.be.a('string')
  if (message !== undefined) expect(answer.json.message).to.equal(message)
  expect(answer.json).to.not.have.property('error')
  for (const key of ['hint', 'details']) if (key in answer.json) expect(answer.json[key]).to.not.equal(null)
}

export function expectRfc(answer: Answer, status: number, error: string): void {
  expect(answer.status, answer.text).to.equal(status)
  expect(answer.json).to.deep.equal({error})
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const USER_CODE = /^[ABCDEFGHJKLMNPQRSTUVWXY3456789]{4}-[ABCDEFGHJKLMNPQRSTUVWXY3456789]{4}$/

/** A request through node:http with exactly the given headers (fetch always adds a User-Agent). */
export async function rawHttp(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{status: number; headers: Record<string, string | string[] | undefined>; text: string}> {
  const {request: httpRequest} = await import('node:http')
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, {headers, method}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => resolve({headers: res.headers, status: res.statusCode ?? 0, text}))
    })
    req.on('error', reject)
    req.end()
  })
}
