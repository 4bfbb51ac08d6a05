// The result view is chosen by the task's kind, never by the result's shape.
import { describe, expect, it } from 'vitest'
import { chooseResultView } from '../../src/resultView'

const audit = {
  files_scanned: 6,
  bytes_scanned: 512,
  findings: [{ rule: 'aws_access_key', severity: 'high', path: 'a.env', line: 2, excerpt: 'AKIA****' }],
  counts: { high: 1, medium: 0, low: 0 },
  skipped: [],
}
const triage = {
  decisions: [{ rule: 'aws_access_key', path: 'a.env', line: 2, severity: 'high', decision: 'fix' }],
  counts: { fix: 1 },
}

describe('chooseResultView', () => {
  it('shows an audit as findings and a triage as decisions', () => {
    expect(chooseResultView('audit', audit)).toEqual({
      view: 'audit',
      result: { files_scanned: 6, bytes_scanned: 512, findings: audit.findings, counts: audit.counts },
    })
    // An older result, without undecided and timed_out.
    expect(chooseResultView('triage', triage)).toEqual({
      view: 'triage',
      decisions: triage.decisions,
      undecided: [],
      timedOut: null,
    })
    expect(chooseResultView('triage', { decisions: [] })).toEqual({ view: 'triage', decisions: [], undecided: [], timedOut: null })
  })

  it('shows every other kind as a tree, whatever its result looks like', () => {
    expect(chooseResultView('ticker', { steps: 3 })).toEqual({ view: 'tree', result: { steps: 3 } })
    // A plugin whose result looks like an audit's or a triage's is still a tree.
    expect(chooseResultView('my_plugin', audit).view).toBe('tree')
    expect(chooseResultView('my_plugin', triage).view).toBe('tree')
    expect(chooseResultView('audit', triage).view).toBe('tree')
    expect(chooseResultView('triage', audit).view).toBe('tree')
    // Kind not known yet.
    expect(chooseResultView(null, audit).view).toBe('tree')
  })

  it('falls back to the tree when an audit or triage result lacks what its table needs', () => {
    const bad: unknown[] = [
      null,
      'done',
      [],
      { findings: 'none' },
      { ...audit, files_scanned: undefined },
      { ...audit, findings: [{ rule: 'x', severity: 'high', path: 'a' }] },
      { ...audit, findings: [null] },
      { ...audit, counts: { high: 'one' } },
    ]
    for (const r of bad) expect(chooseResultView('audit', r)).toEqual({ view: 'tree', result: r })
    const badTriage: unknown[] = [
      undefined,
      { decisions: null },
      { decisions: [{ rule: 'x', path: 'a', line: 1, severity: 'high' }] },
      { decisions: [{ rule: 'x', path: 'a', line: 1, severity: 'high', decision: 3 }] },
    ]
    for (const r of badTriage) expect(chooseResultView('triage', r)).toEqual({ view: 'tree', result: r })
  })

  it('tells why a triage stopped early and what it left undecided', () => {
    const timedOut = {
      ...triage,
      undecided: [{ rule: 'private_key', path: 'b.pem', line: 1, severity: 'high' }],
      timed_out: 'no answer to r-3 within 300000 ms',
      skipped: [],
    }
    expect(chooseResultView('triage', timedOut)).toEqual({
      view: 'triage',
      decisions: triage.decisions,
      undecided: timedOut.undecided,
      timedOut: 'no answer to r-3 within 300000 ms',
    })
    // Finished in time: timed_out is null and nothing is undecided.
    expect(chooseResultView('triage', { ...triage, undecided: [], timed_out: null })).toMatchObject({
      undecided: [],
      timedOut: null,
    })
    // A malformed undecided list does not hide the decisions.
    expect(chooseResultView('triage', { ...triage, undecided: [{ rule: 1 }], timed_out: 'late' })).toMatchObject({
      view: 'triage',
      undecided: [],
      timedOut: 'late',
    })
  })

  it('accepts an audit without counts', () => {
    const { counts: _, ...noCounts } = audit
    expect(chooseResultView('audit', noCounts)).toMatchObject({ view: 'audit', result: { counts: {} } })
  })
})
