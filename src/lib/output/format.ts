import {singleLine} from './sanitize.js'

/**
 * The only place that branches on the output format. A command returns a CommandResult; this turns
 * it into the bytes for stdout.
 *
 * - `human`: the text the command prepared (tables, confirmation lines);
 * - `json`: `--json`, one compact line (scripts read it line by line);
 * - `json-pretty`: `-o json`, indented for people reading machine output;
 * - `yaml`: `-o yaml`;
 * - `name`: `-o name`, one identifier per line.
 */
export type OutputFormat = 'human' | 'json' | 'json-pretty' | 'name' | 'yaml'

export interface CommandResult<T = unknown> {
  /** The structured result, for json/yaml. */
  data: T
  /** What a person sees on stdout in the default format (already newline-terminated, or empty). */
  human: string
  /** Identifiers for `-o name`. */
  names?: readonly string[]
}

export function isMachineFormat(format: OutputFormat): boolean {
  return format !== 'human'
}

/** Async only for `yaml`: js-yaml (100 KB of code) is loaded for `-o yaml` and nothing else. */
export async function renderResult(result: CommandResult, format: OutputFormat): Promise<string> {
  switch (format) {
    case 'human': {
      return result.human
    }

    case 'json': {
      return JSON.stringify(result.data) + '\n'
    }

    case 'json-pretty': {
      return JSON.stringify(result.data, null, 2) + '\n'
    }

    case 'name': {
      // Names come from hosts.yml or a server: one clean line each, like every other text we print.
      return (result.names ?? []).map((name) => `${singleLine(name)}\n`).join('')
    }

    case 'yaml': {
      const {default: yaml} = await import('js-yaml')
      return yaml.dump(result.data, {lineWidth: -1, noRefs: true, quotingType: '"'})
    }
  }
}
