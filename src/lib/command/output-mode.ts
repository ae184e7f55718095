import {DifyError} from '../errors/dify-error.js'
import type {OutputFormat} from '../output/format.js'

export type OutputOption = 'json' | 'name' | 'yaml'

/** The format a command's flags ask for; an -o value the command does not offer is a usage error. */
export function formatFromFlags(flags: {json?: boolean; output?: string}, offered: readonly OutputOption[]): OutputFormat {
  if (flags.json) return 'json'
  if (flags.output === undefined) return 'human'
  const value = flags.output.toLowerCase() as OutputOption
  if (!offered.includes(value)) {
    throw new DifyError('unsupported_format', `unsupported output format "${flags.output}"`, {
      hint: `use -o ${offered.join(', -o ')}, or omit -o for the table`,
    })
  }

  return value === 'json' ? 'json-pretty' : value
}

/**
 * The format an error should be rendered in when flag parsing itself failed: read from the raw
 * argv, so `difyctl auth list -o json --bogus` still gets a JSON error envelope.
 */
export function formatFromArgv(argv: readonly string[]): OutputFormat {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]
    if (arg === '--json') return 'json'
    const inline = /^(?:--output=|-o=?)(.+)$/.exec(arg)
    const value = inline ? inline[1] : arg === '-o' || arg === '--output' ? args[index + 1] : undefined
    if (value && ['json', 'name', 'yaml'].includes(value.toLowerCase())) return 'json'
  }

  return 'human'
}
