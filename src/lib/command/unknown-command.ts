import {DifyError} from '../errors/dify-error.js'

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }

  return row[b.length]
}

const spaced = (id: string) => id.replaceAll(':', ' ')

/**
 * What oclif could not resolve to a command, explained: either a known command followed by an
 * argument it does not take (`auth whoami extra`), or a typo, with the closest command suggested.
 */
export function unknownCommandError(id: string, commandIds: readonly string[]): DifyError {
  const words = id.split(':')
  for (let length = words.length - 1; length > 0; length--) {
    const known = words.slice(0, length).join(':')
    if (commandIds.includes(known)) {
      return new DifyError('usage_error', `unexpected argument "${words.slice(length).join(' ')}" for 'difyctl ${spaced(known)}'`, {
        hint: `run 'difyctl ${spaced(known)} --help' for usage`,
      })
    }
  }

  const ranked = commandIds
    .map((candidate) => ({candidate, score: distance(id, candidate)}))
    .sort((left, right) => left.score - right.score)
  const best = ranked[0]
  const suggestion = best && best.score <= Math.max(2, Math.floor(id.length / 4)) ? best.candidate : undefined
  return new DifyError('usage_error', `unknown command "${spaced(id)}"`, {
    hint: suggestion ? `did you mean 'difyctl ${spaced(suggestion)}'? 'difyctl --help' lists every command` : "run 'difyctl --help' for the list of commands",
  })
}
