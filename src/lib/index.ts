/**
 * The difyctl plugin SDK: what a third-party oclif plugin imports to add commands that run against
 * the active context with the same flags, output formats, error rendering and exit codes as the
 * built-in ones. Keep this surface small and stable; everything else is internal.
 *
 *   import {AuthenticatedCommand, jsonFlag} from 'difyctl'
 *   export default class Hello extends AuthenticatedCommand<typeof Hello> {
 *     static flags = {json: jsonFlag}
 *     async execute() {
 *       const {client, context} = await this.apiClient()
 *       const {body} = await client.request({authenticated: true, method: 'GET', path: 'account/sessions'})
 *       return {data: body, human: `${context.email}\n`}
 *     }
 *   }
 *
 * A plugin lists difyctl as an optional peer dependency: the running CLI resolves `import 'difyctl'`
 * to itself (src/lib/plugins/host.ts), so plugins share this very module instance with the core.
 * examples/plugin-hello is a complete plugin.
 */
export {AuthenticatedCommand, type ContextClient, ContextCommand} from './command/authenticated-command.js'
export {DifyCommand} from './command/dify-command.js'
export {jsonFlag, outputFlag} from './command/flags.js'
export type {OutputOption} from './command/output-mode.js'
export type {Services} from './command/services.js'
export type {HttpClient, HttpRequest, HttpResponse} from './api/http-client.js'
export type {ResolvedContext} from './config/registry.js'
export {resolveActiveContext} from './context/active.js'
export type {ContextResolution} from './context/resolve.js'
export {CODE_DESCRIPTIONS, EXIT_CODES, type ErrorCode, ExitCode, exitCodeFor} from './errors/codes.js'
export {DifyError, isDifyError, type DifyErrorOptions, type HttpFacts} from './errors/dify-error.js'
export type {CommandResult, OutputFormat} from './output/format.js'
