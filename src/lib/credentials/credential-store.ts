import type {TokenStorage} from '../config/hosts.js'

/** Which token: the hosts.yml key (`host[:port]`) and the account email. */
export interface CredentialRef {
  host: string
  account: string
}

/**
 * A place tokens live. Contract for every backend:
 * - `get` answers null only when the store was reached and holds no such item;
 * - a store that cannot be reached (locked, no D-Bus, timed out) throws DifyError `keyring_unavailable`;
 * - a store whose content fails its integrity check throws DifyError `credential_corrupt`;
 * - `delete` answers whether something was deleted.
 */
export interface CredentialStore {
  readonly kind: TokenStorage
  get(ref: CredentialRef): Promise<string | null>
  set(ref: CredentialRef, token: string): Promise<void>
  delete(ref: CredentialRef): Promise<boolean>
}
