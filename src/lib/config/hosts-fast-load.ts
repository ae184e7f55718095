/**
 * A loader for the narrow YAML subset that `serializeHostsFile` writes: block mappings, one
 * `key: value` per line, values that are plain scalars, double- or single-quoted one-line strings,
 * `null`/booleans, or `{}`. js-yaml needs ~50 ms for a hosts.yml of 1,000 contexts; this reads the
 * same file in a few, which keeps `auth whoami` and `auth list` fast for people with many sign-ins.
 *
 * It answers `undefined` for anything outside that subset (flow collections other than `{}`,
 * comments after a value, anchors, tags, block scalars, multi-line scalars, tabs, CR, escapes beyond
 * JSON's, duplicate keys, odd indentation, keys that would be resolved to null or a boolean, …) and
 * the caller then asks js-yaml, which stays the reference. For every text it accepts it returns
 * exactly what `yaml.load(text, {schema: READ_SCHEMA})` returns (failsafe schema plus null and
 * booleans); test/lib/config/hosts-fast-load.test.ts holds it to that with generated and mutated
 * files. So accepted files never reach js-yaml, and every error message still comes from js-yaml.
 */

type Mapping = Record<string, unknown>

/**
 * Any character this loader is not sure about: outside the printable set, a line break other than
 * \n, the BOM, or a surrogate that is not half of a pair (the `u` flag reads pairs as one code
 * point). Such a text goes to js-yaml, which rejects most of them.
 */
const UNSURE_CHARACTER = /[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u

// A plain scalar that means nothing but its text: no indicator first, no `: ` or ` #` inside, no
// `:` or space last, no space before a `:` (a key's trailing spaces are not part of it). Whether it
// reads as null or a boolean is decided afterwards.
const PLAIN = String.raw`[^\s\-?:,\[\]{}#&*!|>'"%@${'`'}](?:[^\n: ]|:(?=[^ \n])| +(?=[^ #:\n]))*`
// One-line quoted scalars: double-quoted with JSON's escapes only (JSON.parse decodes them exactly
// as YAML does), single-quoted with `''`.
const DOUBLE = String.raw`"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[\da-fA-F]{4})*"`
const SINGLE = String.raw`'(?:[^'\n]|'')*'`

/**
 * One line at a time (sticky): blank, a whole-line comment, or `<indent><key>:` with an optional
 * ` <value>`. Groups: 1 indent, 2 plain key, 3 quoted key, 4 plain value, 5 quoted value, 6 `{}`.
 * A line that is none of these ends the fast path.
 */
const LINE = new RegExp(String.raw`( *)(?:#[^\n]*|(?:(${PLAIN})|(${DOUBLE}|${SINGLE})):(?: (?:(${PLAIN})|(${DOUBLE}|${SINGLE})|(\{\}))?)?|)(?:\n|$)`, 'y')

function unquote(token: string): string {
  return token[0] === '"' ? (JSON.parse(token) as string) : token.slice(1, -1).replaceAll("''", "'")
}

/** YAML's null and boolean spellings (the hosts schema's only implicit types), else the text. */
function resolvePlain(text: string): string | boolean | null {
  if (text.length > 5) return text
  switch (text) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL': {
      return null
    }

    case 'true':
    case 'True':
    case 'TRUE': {
      return true
    }

    case 'false':
    case 'False':
    case 'FALSE': {
      return false
    }

    default: {
      return text
    }
  }
}

/** `{value}` when the text is inside the subset (see above), else undefined. */
export function fastLoadHostsYaml(text: string): {value: unknown} | undefined {
  if (UNSURE_CHARACTER.test(text)) return undefined
  const root: Mapping = {}
  // Open mappings, innermost last, and the indentation of their keys.
  const maps: Mapping[] = [root]
  const indents: number[] = [0]
  // A `key:` with nothing after it: a nested mapping if deeper lines follow, else null.
  let pendingMap: Mapping | undefined
  let pendingKey = ''
  let pendingIndent = 0
  let lines = 0
  LINE.lastIndex = 0
  while (LINE.lastIndex < text.length) {
    const match = LINE.exec(text)
    if (match === null) return undefined
    const plainKey = match[2]
    const quotedKey = match[3]
    // Blank lines and whole-line comments mean nothing inside block mappings.
    if (plainKey === undefined && quotedKey === undefined) continue
    const indent = match[1].length
    if (lines++ === 0 && indent !== 0) return undefined
    if (pendingMap !== undefined) {
      if (indent > pendingIndent) {
        const child: Mapping = {}
        pendingMap[pendingKey] = child
        maps.push(child)
        indents.push(indent)
      }

      pendingMap = undefined
    }

    let depth = indents.length - 1
    while (depth > 0 && indents[depth] > indent) depth--
    if (indents[depth] !== indent) return undefined
    if (depth < indents.length - 1) {
      maps.length = depth + 1
      indents.length = depth + 1
    }

    const map = maps[depth]
    let key: string
    if (plainKey === undefined) {
      key = unquote(quotedKey)
    } else {
      // A plain key that YAML reads as null or a boolean would become "null", "true" or "false".
      if (resolvePlain(plainKey) !== plainKey) return undefined
      key = plainKey
    }

    if (key === '__proto__' || Object.hasOwn(map, key)) return undefined
    const plainValue = match[4]
    if (plainValue !== undefined) {
      map[key] = resolvePlain(plainValue)
    } else if (match[5] !== undefined) {
      map[key] = unquote(match[5])
    } else if (match[6] === undefined) {
      // Null unless a deeper line follows; set now so that a duplicate of the key is caught.
      map[key] = null
      pendingMap = map
      pendingKey = key
      pendingIndent = indent
    } else {
      map[key] = {}
    }
  }

  if (lines === 0) return undefined
  return {value: root}
}
