import type { Command } from 'commander';
import { parseFraction, parsePositiveInt } from './parse';

/** How a command that scans a table reads it: the same flags for backup and export. */
export interface ScanFlags {
  segments?: number;
  concurrency?: number;
  consistent?: boolean;
  readFraction?: number;
  readUnits?: number;
}

export function addScanOptions(command: Command): Command {
  return command
    .option('--segments <n>', 'scan segments (default: chosen from the table size)', parsePositiveInt)
    .option('--concurrency <n>', 'segments scanned at once (default: min(segments, 8))', parsePositiveInt)
    .option('--consistent', 'strongly consistent reads (twice the read cost)')
    .option(
      '--read-fraction <f>',
      'use at most this fraction of provisioned read capacity (default 0.5)',
      parseFraction,
    )
    .option('--read-units <n>', 'read-unit budget per second (for on-demand tables)', parsePositiveInt);
}
