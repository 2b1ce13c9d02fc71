import type { Command } from 'commander';

// Placeholder: replaced by the faults command implementation.
export function register(_program: Command): void {}
