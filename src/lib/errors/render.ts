import {singleLine, stripControl} from '../output/sanitize.js'
import type {DifyError} from './dify-error.js'

/** Human form: `<code>: <message>`, then the hint and the HTTP facts when known. */
export function renderHuman(error: DifyError): string {
  const lines = [`${error.code}: ${stripControl(error.message)}`]
  if (error.hint) lines.push(`hint: ${stripControl(error.hint)}`)
  if (error.http?.method && error.http.url) lines.push(`request: ${error.http.method} ${error.http.url}`)
  if (error.http?.status !== undefined) lines.push(`http_status: ${error.http.status}`)
  return lines.join('\n') + '\n'
}

/** Machine form: one JSON line, the same envelope for every command. */
export function renderJson(error: DifyError): string {
  const body: Record<string, unknown> = {code: error.code, message: singleLine(error.message)}
  if (error.hint) body.hint = singleLine(error.hint)
  if (error.http?.status !== undefined) body.http_status = error.http.status
  if (error.http?.method) body.method = error.http.method
  if (error.http?.url) body.url = error.http.url
  if (error.http?.server !== undefined) body.server = error.http.server
  return JSON.stringify({error: body}) + '\n'
}
