import type { Command } from 'commander';

// Placeholder: replaced by the lifecycle command implementation.
export function register(_program: Command): void {}
