#!/usr/bin/env node
// Compile cache: Node ≥ 22.1 caches compiled module code on disk, which takes a large share off
// oclif's start-up. It is a no-op on runtimes that lack it.
import {enableCompileCache} from 'node:module'

try {
  enableCompileCache?.()
} catch {
  // a read-only cache directory must never stop the CLI
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
