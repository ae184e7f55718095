import type {Hook} from '@oclif/core'

/**
 * Resolves the active context once per invocation, for commands that declare they use one
 * (`static usesContext = true` on difyctl's base classes), so the command starts with it ready.
 * Never throws: a failing hook would skip the command's own error handling, so failures are stored
 * as data and reported by the command.
 */
const hook: Hook<'prerun'> = async function (options) {
  const command = options.Command as unknown as {usesContext?: boolean}
  if (!command.usesContext) return
  try {
    const [{rememberResolution, resolveActiveContext}, {systemServices}] = await Promise.all([
      import('../lib/context/active.js'),
      import('../lib/command/services.js'),
    ])
    const services = systemServices({signal: new AbortController().signal, version: options.config.version})
    rememberResolution(options.argv, services.hosts().then((hosts) => resolveActiveContext({env: services.env, hosts})))
  } catch {
    // Nothing remembered: the command resolves by itself and reports what went wrong.
  }
}

export default hook
