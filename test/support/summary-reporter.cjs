'use strict'
// Mocha's spec reporter plus the closing line CI reads: "N passed, N failed[, N skipped]".
// Pending (skipped) tests are reported as skipped, never as passed.
const Mocha = require('mocha')

const {Spec} = Mocha.reporters
const {EVENT_RUN_END} = Mocha.Runner.constants

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const {failures = 0, passes = 0, pending = 0} = this.stats
      const skipped = pending > 0 ? `, ${pending} skipped` : ''
      // Registered after Spec's own listener, so this follows its epilogue.
      process.stdout.write(`${passes} passed, ${failures} failed${skipped}\n`)
    })
  }
}

module.exports = SummaryReporter
