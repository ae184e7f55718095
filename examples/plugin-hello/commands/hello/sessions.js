import {AuthenticatedCommand, DifyError, jsonFlag} from 'difyctl'

/**
 * Calls GET account/sessions as the active context through the SDK's client: the token comes from
 * the store the context records and is only ever sent to that host; retries, timeouts, proxies and
 * the HTTP-status-to-exit-code mapping are the core's.
 */
export default class HelloSessions extends AuthenticatedCommand {
  static summary = 'Count the sessions of your account (sample plugin)'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static flags = {json: jsonFlag}

  async execute() {
    const {client, context} = await this.apiClient()
    const {body} = await client.request({authenticated: true, method: 'GET', path: 'account/sessions', signal: this.services.signal})
    if (typeof body !== 'object' || body === null || !Array.isArray(body.data)) {
      throw new DifyError('bad_response', `${context.host} answered GET account/sessions without a data array`)
    }

    const labels = body.data.map((row) => String(row.device_label ?? ''))
    return {
      data: {count: labels.length, device_labels: labels, host: context.host, total: body.total ?? labels.length},
      human: `${context.email} has ${body.total ?? labels.length} session(s)\n${labels.map((label) => `  ${label}\n`).join('')}`,
      names: labels,
    }
  }
}
