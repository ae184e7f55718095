import yaml from 'js-yaml'

import type {HostsFile} from './hosts.js'

/**
 * js-yaml's side of hosts.yml, in a module of its own: HostsStore imports it only to write the file
 * or to read one the fast loader (hosts-fast-load.ts) declines, so commands that just read never
 * load js-yaml's 100 KB of code.
 *
 * Read with YAML's failsafe schema plus only `null` and booleans, so every other scalar stays the
 * string it was written as: an id `0012345` or a workspace `12.10` hand-edited without quotes must
 * not turn into numbers.
 */
// js-yaml 4 exports its built-in types at run time; @types/js-yaml does not declare them.
const builtinTypes = (yaml as unknown as {types: Record<'bool' | 'null', yaml.Type>}).types
export const READ_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({implicit: [builtinTypes.null, builtinTypes.bool]})

/** The YAML data of hosts.yml text (js-yaml's errors as they are; see parseHostsYaml in hosts-data.ts). */
export function loadHostsYaml(text: string, filename: string): unknown {
  return yaml.load(text, {filename, schema: READ_SCHEMA})
}

/** Serialises with explicit quoting where a string would otherwise read back as a number or bool. */
export function serializeHostsFile(file: HostsFile): string {
  const doc = {
    version: file.version,
    current_host: file.currentHost,
    hosts: Object.fromEntries(
      Object.entries(file.hosts).map(([host, entry]) => [
        host,
        {
          base_url: entry.baseUrl,
          current_account: entry.currentAccount,
          accounts: Object.fromEntries(
            Object.entries(entry.accounts).map(([email, account]) => [
              email,
              {
                account_id: account.accountId,
                name: account.name,
                subject_type: account.subjectType,
                subject_issuer: account.subjectIssuer,
                workspace: account.workspace,
                token_id: account.tokenId,
                token_expires_at: account.tokenExpiresAt,
                token_storage: account.tokenStorage,
              },
            ]),
          ),
        },
      ]),
    ),
  }
  return '# difyctl sign-ins: metadata only, tokens live in the credential store.\n' + yaml.dump(doc, {lineWidth: -1, noRefs: true, quotingType: '"'})
}
