// Which view shows a completed task's result: chosen by the task's kind,
// never by the result's shape. `audit` gets the findings table, `triage` the
// decisions table, every other kind (ticker, a plugin's kind, an unknown
// one) the JSON tree. An audit or triage result without the fields its
// table needs falls back to the tree too.
import { isRecord, type AuditResult, type Decision, type Finding, type UndecidedFinding } from './protocol'

export type ResultView =
  | { view: 'audit'; result: AuditResult }
  | { view: 'triage'; decisions: Decision[]; undecided: UndecidedFinding[]; timedOut: string | null }
  | { view: 'tree'; result: unknown }

const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

// What a finding and a decision share: the rule, severity and place.
function isLocated(v: unknown): v is Record<string, unknown> & Pick<Finding, 'rule' | 'severity' | 'path' | 'line'> {
  return isRecord(v) && isString(v.rule) && isString(v.severity) && isString(v.path) && isNumber(v.line)
}

function isFinding(v: unknown): v is Finding {
  return isLocated(v) && (v.excerpt === undefined || isString(v.excerpt))
}

function isDecision(v: unknown): v is Decision {
  return isLocated(v) && isString(v.decision)
}

/** `v` when it is an array whose every element passes `is`, else null. */
function arrayOf<T>(v: unknown, is: (x: unknown) => x is T): T[] | null {
  if (!Array.isArray(v)) return null
  const out: T[] = []
  for (const x of v as unknown[]) {
    if (!is(x)) return null
    out.push(x)
  }
  return out
}

/** The result of an audit, when it has everything the findings table shows. */
export function asAuditResult(r: unknown): AuditResult | null {
  if (!isRecord(r) || !isNumber(r.files_scanned) || !isNumber(r.bytes_scanned)) return null
  const findings = arrayOf(r.findings, isFinding)
  if (!findings) return null
  const counts: Record<string, number> = {}
  if (r.counts !== undefined) {
    if (!isRecord(r.counts)) return null
    for (const [k, n] of Object.entries(r.counts)) {
      if (!isNumber(n)) return null
      counts[k] = n
    }
  }
  return { files_scanned: r.files_scanned, bytes_scanned: r.bytes_scanned, findings, counts }
}

/** The decisions of a triage, when every one has what the decisions table shows. */
export function asDecisions(r: unknown): Decision[] | null {
  return isRecord(r) ? arrayOf(r.decisions, isDecision) : null
}

/** Why a triage ended before every finding was decided (its `timed_out`),
 * or null: also for older results without the field. */
export function triageTimedOut(r: unknown): string | null {
  return isRecord(r) && isString(r.timed_out) && r.timed_out ? r.timed_out : null
}

/** The findings a triage left undecided; [] when absent or malformed. */
export function triageUndecided(r: unknown): UndecidedFinding[] {
  if (!isRecord(r)) return []
  return (arrayOf(r.undecided, isLocated) ?? []).map(({ rule, path, line, severity }) => ({ rule, path, line, severity }))
}

/** The view of a result of a task of kind `kind` (null while unknown). */
export function chooseResultView(kind: string | null, result: unknown): ResultView {
  if (kind === 'audit') {
    const audit = asAuditResult(result)
    if (audit) return { view: 'audit', result: audit }
  } else if (kind === 'triage') {
    const decisions = asDecisions(result)
    if (decisions)
      return { view: 'triage', decisions, undecided: triageUndecided(result), timedOut: triageTimedOut(result) }
  }
  return { view: 'tree', result }
}
