import type {HostsFile} from '../config/hosts.js'
import {listContexts} from '../config/registry.js'
import type {CommandResult} from '../output/format.js'
import {renderTable} from '../output/table.js'
import {identityLabel} from './whoami.js'

export interface ListedContextData {
  host: string
  account: string
  name: string
  active: boolean
}

export interface ListData {
  contexts: ListedContextData[]
}

/** Every stored host + account pair, the active one marked. Never contacts a server. */
export function listStoredContexts(file: HostsFile): CommandResult<ListData> {
  const rows = listContexts(file)
  // Key order is the documented one (host, account, name, active): people read this JSON too.
  const contexts = rows.map((row) => ({host: row.host, account: row.email, name: row.name, active: row.active}))
  return {
    data: {contexts},
    // Built only when read, i.e. for the human format: `-o json` over a thousand contexts skips the table.
    get human() {
      return rows.length === 0
        ? ''
        : renderTable(
            ['HOST', 'ACCOUNT', 'ACTIVE'],
            rows.map((row) => [row.host, identityLabel(row.email, row.name) + (row.hasToken ? '' : ' [signed out]'), row.active ? '*' : '']),
          )
    },
    names: rows.map((row) => row.email),
  }
}
