export {CODE_DESCRIPTIONS, EXIT_CODES, EXIT_MEANINGS, exitCodeFor, ExitCode, type ErrorCode} from './codes.js'
export {DifyError, interruptedError, isDifyError, type DifyErrorOptions, type HttpFacts} from './dify-error.js'
export {toDifyError} from './normalize.js'
export {renderHuman, renderJson} from './render.js'
