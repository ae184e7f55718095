import {Errors, type Hook} from '@oclif/core'

/**
 * An unknown command or a stray argument is a usage error like any other: `<code>: <message>` and a
 * hint on stderr (one JSON line in machine modes), exit 2 — instead of oclif's own banner.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const [{unknownCommandError}, {formatFromArgv}, {renderHuman, renderJson}] = await Promise.all([
    import('../lib/command/unknown-command.js'),
    import('../lib/command/output-mode.js'),
    import('../lib/errors/render.js'),
  ])
  const error = unknownCommandError(options.id, options.config.commandIDs)
  const machine = formatFromArgv(options.argv ?? []) !== 'human'
  process.stderr.write(machine ? renderJson(error) : renderHuman(error))
  throw new Errors.ExitError(error.exitCode)
}

export default hook
