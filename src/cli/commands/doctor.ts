import type { Command } from 'commander';

// Placeholder: replaced by the doctor command implementation.
export function register(_program: Command): void {}
