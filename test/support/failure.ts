import {expect} from 'chai'

import {DifyError} from '../../src/lib/errors/dify-error.js'

/** Awaits a promise that must reject with a DifyError, and returns that error for assertions. */
export async function failure(promise: Promise<unknown>): Promise<DifyError> {
  try {
    await promise
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(DifyError)
    return error as DifyError
  }

  throw new Error('expected a failure, but it succeeded')
}

/** The same for code that must throw synchronously. */
export function thrown(run: () => unknown): DifyError {
  try {
    run()
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(DifyError)
    return error as DifyError
  }

  throw new Error('expected a failure, but it succeeded')
}
