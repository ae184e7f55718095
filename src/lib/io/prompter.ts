import {interruptedError} from '../errors/dify-error.js'

export interface Choice<T> {
  name: string
  value: T
  description?: string
}

/** Questions to a person. Callers check `isInteractive` first; prompts draw on stderr only. */
export interface Prompter {
  select<T>(message: string, choices: ReadonlyArray<Choice<T>>, defaultValue?: T): Promise<T>
  input(message: string, defaultValue?: string): Promise<string>
  confirm(message: string, defaultValue: boolean): Promise<boolean>
}

const CANCELLED = new Set(['AbortPromptError', 'CancelPromptError', 'ExitPromptError'])

function mapCancel(error: unknown): never {
  // Ctrl-C in a prompt surfaces as ExitPromptError; inquirer restores the cursor before throwing.
  if (error instanceof Error && CANCELLED.has(error.name)) throw interruptedError(error)
  throw error
}

/** @inquirer/prompts, loaded only when a prompt is really shown, always drawing on stderr. */
export function inquirerPrompter(stderr: NodeJS.WritableStream = process.stderr): Prompter {
  const context = {clearPromptOnDone: false, output: stderr}
  return {
    async confirm(message, defaultValue) {
      const {confirm} = await import('@inquirer/prompts')
      // The reference spells the choice `[y/N]`, as most CLIs do; inquirer's own default is `(y/N)`.
      const theme = {style: {defaultAnswer: (text: string) => `[${text}]`}}
      return confirm({default: defaultValue, message, theme}, context).catch(mapCancel)
    },
    async input(message, defaultValue) {
      const {input} = await import('@inquirer/prompts')
      return input({default: defaultValue, message}, context).catch(mapCancel)
    },
    async select(message, choices, defaultValue) {
      const {select} = await import('@inquirer/prompts')
      return select({choices: choices.map((choice) => ({...choice})), default: defaultValue, message}, context).catch(mapCancel)
    },
  }
}
