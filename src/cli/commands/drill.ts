import type { Command } from 'commander';

// Placeholder: replaced by the drill command implementation.
export function register(_program: Command): void {}
