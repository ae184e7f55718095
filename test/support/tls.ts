import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestPki {
  dir: string
  /** Path of the CA certificate (PEM), for NODE_EXTRA_CA_CERTS. */
  caPath: string
  /** Server key and certificate (PEM text), valid for localhost and 127.0.0.1, signed by the CA. */
  key: string
  cert: string
  remove(): void
}

/** A throwaway CA and a server certificate made with the openssl CLI in a temporary directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'difyctl-tls-'))
  const at = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, {stdio: 'pipe'})

  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=difyctl test CA', '-keyout', at('ca.key'), '-out', at('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', at('server.key'), '-out', at('server.csr'))
  writeFileSync(at('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '2',
    '-extfile', at('server.ext'), '-out', at('server.pem'))

  return {
    caPath: at('ca.pem'),
    cert: readFileSync(at('server.pem'), 'utf8'),
    dir,
    key: readFileSync(at('server.key'), 'utf8'),
    remove: () => rmSync(dir, {force: true, recursive: true}),
  }
}
