import { ALL_OPERATIONS, type OperationName } from '../../datastores/sdk/operations.js';
import type { CheckResult } from './checks.js';

/** passed / failed / unsupported, or claimed but driven by no check of the scenario (mount-volume, replication...). */
export type OperationStatus = 'passed' | 'failed' | 'unsupported' | 'not exercised';

export interface OperationRow {
  operation: OperationName;
  claimed: boolean;
  status: OperationStatus;
  checks: number;
}

/** One row per contract operation: how the checks that drove it ended. */
export function operationMatrix(claims: ReadonlySet<OperationName>, results: readonly CheckResult[]): OperationRow[] {
  return ALL_OPERATIONS.map((operation) => {
    const mine = results.filter((result) => result.operation.split(', ').includes(operation));
    const claimed = claims.has(operation);
    let status: OperationStatus;
    if (mine.some((result) => result.status === 'failed')) status = 'failed';
    else if (!claimed) status = mine.length > 0 ? 'unsupported' : 'not exercised';
    else status = mine.some((result) => result.status === 'passed') ? 'passed' : 'not exercised';
    return { operation, claimed, status, checks: mine.length };
  });
}

/** The matrix and the failures as text (what `berth conformance` prints; docs/conformance.md holds them). */
export function renderReport(report: { manager: { name: string; version: string }; datastore: string; passed: boolean; seconds: number; operations: readonly OperationRow[]; checks: readonly CheckResult[] }): string {
  const width = Math.max(...report.operations.map((row) => row.operation.length));
  const lines = [`${report.manager.name} ${report.manager.version} on ${report.datastore}: ${report.passed ? 'PASSED' : 'FAILED'} in ${report.seconds} s`, '', `${'OPERATION'.padEnd(width)}  CLAIMED  RESULT`];
  for (const row of report.operations) lines.push(`${row.operation.padEnd(width)}  ${(row.claimed ? 'yes' : 'no').padEnd(7)}  ${row.status}`);
  const failed = report.checks.filter((check) => check.status === 'failed');
  if (failed.length > 0) {
    lines.push('', 'FAILED CHECKS');
    for (const check of failed) lines.push(`  [${check.group}] ${check.check}: ${check.code ?? ''} ${check.detail ?? ''}`.trimEnd());
  }
  const notes = report.checks.filter((check) => check.note);
  if (notes.length > 0) {
    lines.push('', 'NOTES');
    for (const check of notes) lines.push(`  [${check.group}] ${check.check}: ${check.note}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The matrix as docs/conformance.md holds it: one row per claimed operation,
 * then what the unclaimed ones answered. Nothing in it varies between runs of
 * the same manager (no timings), so the docs can be checked against a run.
 */
export function markdownMatrix(report: { manager: { name: string; version: string }; datastore: string; operations: readonly OperationRow[] }): string {
  const claimed = report.operations.filter((row) => row.claimed);
  const unclaimed = report.operations.filter((row) => !row.claimed);
  const answered = unclaimed.filter((row) => row.status === 'unsupported').length;
  const otherwise = unclaimed.filter((row) => row.status !== 'unsupported').map((row) => `${row.operation} (${row.status})`);
  const lines = [`${report.manager.name} ${report.manager.version} on \`${report.datastore}\`:`, '', '| operation | result |', '| --- | --- |'];
  for (const row of claimed) lines.push(`| ${row.operation} | ${row.status} |`);
  lines.push('', `Unclaimed: ${answered} of ${unclaimed.length} answer unsupported${otherwise.length > 0 ? `; ${otherwise.join(', ')}` : ''}.`);
  return `${lines.join('\n')}\n`;
}
