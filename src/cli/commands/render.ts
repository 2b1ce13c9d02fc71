import type { Command } from 'commander';

// Placeholder: replaced by the render command implementation.
export function register(_program: Command): void {}
