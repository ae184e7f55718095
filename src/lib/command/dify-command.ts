import {Command, Errors, type Interfaces} from '@oclif/core'

import {interruptedError} from '../errors/dify-error.js'
import {toDifyError, usageErrorFromParse} from '../errors/normalize.js'
import {systemEnv} from '../io/system.js'
import {type CommandResult, isMachineFormat, type OutputFormat, renderResult} from '../output/format.js'
import {formatFromArgv, formatFromFlags, type OutputOption} from './output-mode.js'
import {type Services, systemServices} from './services.js'

export type DifyFlags<T extends typeof Command> = Interfaces.InferredFlags<T['flags'] & T['baseFlags']>
export type DifyArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Base of every difyctl command (and of plugin commands built on the SDK):
 * - parses flags once, and decides the output format from `--json` / `-o`;
 * - `execute()` returns a CommandResult and this class prints it: the one output path;
 * - every failure, oclif's parse errors included, becomes a DifyError whose code picks the exit
 *   code from the one table, rendered on stderr (human lines, or one JSON line in machine modes);
 * - Ctrl-C aborts `services.signal` so waits end promptly with exit 130.
 */
export abstract class DifyCommand<T extends typeof Command = typeof Command> extends Command {
  /** The `-o` values this command offers; `outputFlag(...)` must declare the same. */
  static outputFormats: readonly OutputOption[] = []

  protected flags!: DifyFlags<T>
  protected args!: DifyArgs<T>
  protected format: OutputFormat = 'human'
  private abortController = new AbortController()
  private servicesCache?: Services
  private readonly onSigint = () => {
    if (this.abortController.signal.aborted) {
      // A second Ctrl-C while something ignores the first: fall back to the default behaviour.
      process.removeListener('SIGINT', this.onSigint)
      process.kill(process.pid, 'SIGINT')
      return
    }

    this.abortController.abort(interruptedError())
  }

  /** Services for this invocation; tests and plugins may replace it before run(). */
  protected get services(): Services {
    this.servicesCache ??= systemServices({signal: this.abortController.signal, version: this.config.version})
    return this.servicesCache
  }

  protected set services(services: Services) {
    this.servicesCache = services
  }

  public override async init(): Promise<void> {
    await super.init()
    process.on('SIGINT', this.onSigint)
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (this.ctor as typeof Command).baseFlags,
      enableJsonFlag: false,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    }).catch((error: unknown) => {
      throw usageErrorFromParse(error, this.id)
    })
    this.flags = flags as DifyFlags<T>
    this.args = args as DifyArgs<T>
    const offered = (this.ctor as unknown as typeof DifyCommand).outputFormats
    this.format = formatFromFlags(flags as {json?: boolean; output?: string}, offered)
  }

  public async run(): Promise<void> {
    const result = await this.execute()
    if (result) this.services.streams.stdout.write(await renderResult(result, this.format))
  }

  /** The command's work: usually one call into src/lib/auth, returning what to print. */
  protected abstract execute(): Promise<CommandResult | void>

  /** A line for people on stderr (notices, warnings); stdout stays data-only. */
  protected note(line: string): void {
    this.services.streams.stderr.write(line.endsWith('\n') ? line : `${line}\n`)
  }

  protected get machineOutput(): boolean {
    return isMachineFormat(this.format)
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<never> {
    if (error instanceof Errors.ExitError) throw error
    const commandId = this.id
    const difyError = toDifyError(error, commandId)
    const format = this.flags ? this.format : formatFromArgv(this.argv)
    const stderr = this.servicesCache?.streams.stderr ?? process.stderr
    // Loaded on failure only: a command that succeeds never needs the error renderer.
    const {renderHuman, renderJson} = await import('../errors/render.js')
    stderr.write(isMachineFormat(format) ? renderJson(difyError) : renderHuman(difyError))
    if ((this.servicesCache?.env ?? systemEnv()).DEBUG && error.stack) stderr.write(`${error.stack}\n`)
    throw new Errors.ExitError(difyError.exitCode)
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    process.removeListener('SIGINT', this.onSigint)
    await super.finally(error)
  }
}
