const SAFE = /^[\w@%+=:,./-]+$/

/**
 * One argument as a POSIX shell reads it, for hints people paste: bare when that is safe, else in
 * double quotes (hints are themselves shown inside single quotes, so single quotes stay free).
 */
export function shellArg(value: string): string {
  return SAFE.test(value) ? value : `"${value.replaceAll(/["$`\\]/g, '\\$&')}"`
}
