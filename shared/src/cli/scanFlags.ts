import type { Command } from 'commander';
import { fraction, wholeNumber } from './parse';

/** DynamoDB's limit on a parallel Scan's TotalSegments. */
export const MAX_SCAN_SEGMENTS = 1_000_000;

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
    .option(
      '--segments <n>',
      'scan segments (default: chosen from the table size)',
      wholeNumber('--segments', 1, MAX_SCAN_SEGMENTS),
    )
    .option(
      '--concurrency <n>',
      'segments scanned at once (default: min(segments, 8))',
      wholeNumber('--concurrency', 1, 1000),
    )
    .option('--consistent', 'strongly consistent reads (twice the read cost)')
    .option(
      '--read-fraction <f>',
      'use at most this fraction of provisioned read capacity (default 0.5)',
      fraction('--read-fraction'),
    )
    .option(
      '--read-units <n>',
      'read-unit budget per second (for on-demand tables)',
      wholeNumber('--read-units', 1, 1_000_000),
    );
}
