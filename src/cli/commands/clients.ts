import type { Command } from 'commander';

// Placeholder: replaced by the clients command implementation.
export function register(_program: Command): void {}
