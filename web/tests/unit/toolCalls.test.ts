// toolCalls.ts: the tools panel's history and the texts it shows for a call.
import { describe, expect, it } from 'vitest'
import { addToHistory, argsSummary, errorOf, outcomeText, resultText, type ToolCallRecord } from '../../src/toolCalls'
import { StreamError } from '../../src/composables/transports/transport'

const rec = (id: number, over: Partial<ToolCallRecord> = {}): ToolCallRecord => ({
  id,
  tool: 'fs.hash',
  args: { path: `f${id}` },
  ok: true,
  result: { n: id },
  durationMs: 3,
  at: 0,
  ...over,
})

describe('toolCalls', () => {
  it('keeps the newest calls first, at most ten', () => {
    let h: ToolCallRecord[] = []
    for (let i = 1; i <= 13; i++) h = addToHistory(h, rec(i))
    expect(h.map((r) => r.id)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4])
    expect(addToHistory([rec(1)], rec(2), 1).map((r) => r.id)).toEqual([2])
  })

  it('summarises arguments on one line, cut with an ellipsis', () => {
    expect(argsSummary({})).toBe('no arguments')
    expect(argsSummary({ path: '.' })).toBe('{"path":"."}')
    const long = argsSummary({ pattern: 'x'.repeat(100) }, 20)
    expect([...long]).toHaveLength(20)
    expect(long.endsWith('…')).toBe(true)
  })

  it('prints the whole result, never cut', () => {
    const sha = 'ab'.repeat(32)
    const big = 'y'.repeat(100_000)
    expect(resultText(rec(1, { result: { sha256: sha, data: big } }))).toBe(JSON.stringify({ sha256: sha, data: big }, null, 2))
    expect(resultText(rec(1, { result: undefined }))).toBe('null')
    expect(resultText(rec(1, { ok: false, result: undefined, error: { code: 'invalid_args', message: 'm' } }))).toBe(
      JSON.stringify({ code: 'invalid_args', message: 'm' }, null, 2),
    )
  })

  it('reads the code and message of whatever a call threw', () => {
    expect(errorOf(new StreamError('unknown_tool', 'no such tool'))).toEqual({ code: 'unknown_tool', message: 'no such tool' })
    expect(errorOf(new TypeError('Failed to fetch'))).toEqual({ code: 'error', message: 'Failed to fetch' })
    expect(errorOf('boom')).toEqual({ code: 'error', message: 'boom' })
  })

  it('says the outcome in words', () => {
    expect(outcomeText(rec(1, { durationMs: 12.4 }))).toBe('ok in 12 ms')
    expect(outcomeText(rec(1, { ok: false, error: { code: 'tool_timeout', message: '' }, durationMs: 1500 }))).toBe(
      'tool_timeout in 1.5 s',
    )
  })
})
