import type { Command } from 'commander';

// Placeholder: replaced by the timing command implementation.
export function register(_program: Command): void {}
