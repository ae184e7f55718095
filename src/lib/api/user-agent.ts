/**
 * The User-Agent sent on every request (protocol §11.2). Servers with a version gate (§9) parse the
 * `difyctl/<version>` prefix, so the shape is fixed: `difyctl/0.3.0 (linux; x64)`.
 */
export function userAgent(version: string, platform: string, arch: string): string {
  return `difyctl/${version} (${platform}; ${arch})`
}
