import { describe, expect, it } from 'vitest'
import {
  EXPANDED_EXTRA,
  ROW_HEIGHT,
  countAfter,
  eventRow,
  formatTime,
  matchesFilter,
  rowAt,
  rowTop,
  totalHeight,
  visibleRange,
} from '../../src/eventLogView'
import type { TaskEvent } from '../../src/protocol'

const ev = (seq: number, type: string, fields: Record<string, unknown> = {}) =>
  ({ type, task_id: 't-1', seq, ts: new Date(2026, 10, 28, 14, 3, 7, seq).getTime(), ...fields }) as TaskEvent

describe('windowing', () => {
  const flat = { count: 10_000, expanded: [] }

  it('renders the rows in view and the overscan for a scroll offset', () => {
    // 240 px high: 10 rows in view.
    expect(visibleRange(flat, 0, 240, 5)).toEqual({ start: 0, end: 15 })
    expect(visibleRange(flat, 100 * ROW_HEIGHT, 240, 5)).toEqual({ start: 95, end: 115 })
    // Half a row scrolled: 11 rows partly in view.
    expect(visibleRange(flat, 100 * ROW_HEIGHT + ROW_HEIGHT / 2, 240, 0)).toEqual({ start: 100, end: 111 })
    // At the bottom: clamped to the list.
    expect(visibleRange(flat, totalHeight(flat) - 240, 240, 5)).toEqual({ start: 9985, end: 10_000 })
    // Past the end (the list shrank under the scroll box).
    expect(visibleRange(flat, 1e9, 240, 5)).toEqual({ start: 9994, end: 10_000 })
    expect(visibleRange({ count: 0, expanded: [] }, 0, 240)).toEqual({ start: 0, end: 0 })
    expect(visibleRange({ count: 3, expanded: [] }, 0, 240, 5)).toEqual({ start: 0, end: 3 })
  })

  it('keeps the DOM small whatever the list', () => {
    for (const top of [0, 12_345, 99_999 * ROW_HEIGHT]) {
      const r = visibleRange({ count: 100_000, expanded: [] }, top, 352)
      expect(r.end - r.start).toBeLessThan(40)
    }
  })

  it('counts expanded rows as taller', () => {
    const layout = { count: 100, expanded: [2, 50] }
    expect(rowTop(layout, 2)).toBe(2 * ROW_HEIGHT)
    expect(rowTop(layout, 3)).toBe(3 * ROW_HEIGHT + EXPANDED_EXTRA)
    expect(rowTop(layout, 51)).toBe(51 * ROW_HEIGHT + 2 * EXPANDED_EXTRA)
    expect(totalHeight(layout)).toBe(100 * ROW_HEIGHT + 2 * EXPANDED_EXTRA)
    // Inside row 2's JSON: still row 2.
    expect(rowAt(layout, 2 * ROW_HEIGHT + 100)).toBe(2)
    expect(rowAt(layout, 3 * ROW_HEIGHT + EXPANDED_EXTRA)).toBe(3)
    expect(visibleRange(layout, 3 * ROW_HEIGHT + EXPANDED_EXTRA, 240, 0)).toEqual({ start: 3, end: 13 })
  })
})

describe('follow and pause counting', () => {
  it('counts the events after the one at which following paused', () => {
    const list = [1, 2, 3, 5, 8, 13].map((seq) => ({ seq }))
    expect(countAfter(list, 0)).toBe(6)
    expect(countAfter(list, 3)).toBe(3)
    expect(countAfter(list, 4)).toBe(3)
    expect(countAfter(list, 13)).toBe(0)
    expect(countAfter([], 3)).toBe(0)
  })
})

describe('rows', () => {
  it('filters by type, terminal events together', () => {
    const events = [ev(1, 'started'), ev(2, 'progress'), ev(3, 'log'), ev(4, 'tool_call'), ev(5, 'tool_result'), ev(6, 'result')]
    expect(events.filter((e) => matchesFilter(e, 'all'))).toHaveLength(6)
    expect(events.filter((e) => matchesFilter(e, 'progress')).map((e) => e.seq)).toEqual([2])
    expect(events.filter((e) => matchesFilter(e, 'terminal')).map((e) => e.seq)).toEqual([6])
    expect(matchesFilter(ev(7, 'error'), 'terminal')).toBe(true)
    expect(matchesFilter(ev(7, 'stopped'), 'terminal')).toBe(true)
  })

  it('formats an event once', () => {
    const e = ev(42, 'progress', { step: 3, total: 10, message: 'tick', skipped: 2 })
    const row = eventRow(e)
    expect(row).toEqual({ time: '14:03:07.042', summary: '3 / 10 tick (+2 skipped)' })
    expect(eventRow(e)).toBe(row)
    expect(formatTime(NaN)).toBe('–')
  })
})
