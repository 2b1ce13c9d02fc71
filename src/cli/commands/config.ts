import type { Command } from 'commander';

// Placeholder: replaced by the config command implementation.
export function register(_program: Command): void {}
