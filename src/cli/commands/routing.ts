import type { Command } from 'commander';

// Placeholder: replaced by the routing command implementation.
export function register(_program: Command): void {}
