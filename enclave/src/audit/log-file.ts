// Development only: the simulated enclave appends its audit entries and signed heads to a JSON
// Lines file (AUDATA_AUDIT_LOG_FILE), so `make run`'s auditor can replay the log against the
// anchors on chain. A Nitro enclave has no disk; there the log would travel to the host over the
// channel, which is not built yet (see enclave/src/audit/README.md).
import { appendFileSync, readFileSync } from 'node:fs';
import type { AuditEntry, AuditLogExport, SignedAuditHead } from '@audata/verifier/audit';
import { AuditLogError } from './log.ts';

/** Hooks for AuditLogOptions that append each entry and head as one line, in order. */
export function auditFileHooks(path: string): { onEntry: (entry: AuditEntry) => void; onHead: (head: SignedAuditHead) => void } {
  return {
    onEntry: (entry) => appendFileSync(path, `${JSON.stringify({ entry })}\n`),
    onHead: (head) => appendFileSync(path, `${JSON.stringify({ head })}\n`),
  };
}

/** The hooks AUDATA_AUDIT_LOG_FILE names, or none. */
export function auditFileHooksFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<ReturnType<typeof auditFileHooks>> {
  const path = env.AUDATA_AUDIT_LOG_FILE;
  return path === undefined || path === '' ? {} : auditFileHooks(path);
}

/** Reads such a file back as the export verifyAuditLog replays; the verifier checks every field. */
export function readAuditFile(path: string): AuditLogExport {
  const entries: AuditEntry[] = [];
  const heads: SignedAuditHead[] = [];
  for (const [index, line] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (line === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new AuditLogError(`line ${index + 1} of ${path}`, 'JSON', line.slice(0, 40));
    }
    if (typeof record === 'object' && record !== null && 'entry' in record) entries.push((record as { entry: AuditEntry }).entry);
    else if (typeof record === 'object' && record !== null && 'head' in record) heads.push((record as { head: SignedAuditHead }).head);
    else throw new AuditLogError(`line ${index + 1} of ${path}`, '{ entry } or { head }', line.slice(0, 40));
  }
  return { entries, heads };
}
