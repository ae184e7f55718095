/**
 * A deliberately broken hook, registered for `init` and `prerun`, to show that a plugin's failing
 * hook cannot take difyctl down. Off unless DIFYCTL_HELLO_HOOK asks for it:
 * - `throw`: a plain exception. oclif's Config.runHook records it as a failure and goes on.
 * - `exit`: `this.error()`, an error carrying an exit code, which oclif itself would rethrow and so
 *   stop the command; difyctl records it like any other failure for init/prerun/postrun/finally
 *   hooks (src/lib/plugins/host.ts in difyctl).
 * Either way the command runs as if the hook were absent; DEBUG=* shows the failure.
 */
export default async function misbehave(options) {
  const mode = process.env.DIFYCTL_HELLO_HOOK
  const where = options.Command ? 'prerun' : 'init'
  if (mode === 'throw') throw new Error(`difyctl-plugin-hello: ${where} hook failed on purpose`)
  if (mode === 'exit') this.error(`difyctl-plugin-hello: ${where} hook exited on purpose`, {exit: 3})
}
