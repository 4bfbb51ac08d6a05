import { describe, expect, it } from 'vitest'
import { formatAbsolute, formatDuration, formatRelative, shortTaskId, taskDuration } from '../../src/timeFormat'

const s = 1000
const min = 60 * s
const h = 60 * min
const d = 24 * h

describe('formatDuration', () => {
  it('writes milliseconds under a second', () => {
    expect(formatDuration(0)).toBe('0 ms')
    expect(formatDuration(850)).toBe('850 ms')
    expect(formatDuration(999.9)).toBe('999 ms')
  })

  it('writes seconds, with a tenth under ten', () => {
    expect(formatDuration(1000)).toBe('1 s')
    expect(formatDuration(1540)).toBe('1.5 s')
    expect(formatDuration(9999)).toBe('9.9 s')
    expect(formatDuration(12 * s + 700)).toBe('12 s')
    expect(formatDuration(59 * s + 999)).toBe('59 s')
  })

  it('writes two units at most, the smaller left out when zero', () => {
    expect(formatDuration(3 * min + 4 * s + 500)).toBe('3 min 4 s')
    expect(formatDuration(5 * min)).toBe('5 min')
    expect(formatDuration(2 * h + 5 * min + 59 * s)).toBe('2 h 5 min')
    expect(formatDuration(h)).toBe('1 h')
    expect(formatDuration(3 * d + 4 * h + 30 * min)).toBe('3 d 4 h')
  })

  it('counts a negative duration as zero and refuses what is not a number', () => {
    expect(formatDuration(-20)).toBe('0 ms')
    expect(formatDuration(Number.NaN)).toBe('–')
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('–')
  })
})

describe('formatRelative', () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0)

  it('says how long ago, in one unit rounded down', () => {
    expect(formatRelative(now, now)).toBe('just now')
    expect(formatRelative(now - 9 * s, now)).toBe('just now')
    expect(formatRelative(now - 42 * s, now)).toBe('42 s ago')
    expect(formatRelative(now - 3 * min - 59 * s, now)).toBe('3 min ago')
    expect(formatRelative(now - 5 * h - 10 * min, now)).toBe('5 h ago')
    expect(formatRelative(now - 2 * d - 23 * h, now)).toBe('2 d ago')
  })

  it('gives the date past 30 days', () => {
    const ts = now - 45 * d
    expect(formatRelative(ts, now)).toBe(formatAbsolute(ts).slice(0, 10))
    expect(formatRelative(ts, now)).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })

  it('takes a clock a little ahead as now, and says "in" beyond a minute', () => {
    expect(formatRelative(now + 30 * s, now)).toBe('just now')
    expect(formatRelative(now + 5 * min, now)).toBe('in 5 min')
  })
})

describe('formatAbsolute', () => {
  it('writes local date and time with two-digit fields', () => {
    const ts = new Date(2026, 0, 5, 3, 7, 9).getTime()
    expect(formatAbsolute(ts)).toBe('2026-01-05 03:07:09')
  })
})

describe('taskDuration', () => {
  const now = 100_000

  it("takes the server's duration of a task that ended", () => {
    expect(taskDuration({ state: 'completed', created_ms: 1000, ended_ms: 1850, duration_ms: 850 }, now)).toEqual({
      ms: 850,
      running: false,
    })
  })

  it('falls back to ended_ms minus created_ms', () => {
    expect(taskDuration({ state: 'failed', created_ms: 1000, ended_ms: 4000, duration_ms: null }, now)).toEqual({
      ms: 3000,
      running: false,
    })
  })

  it('gives a running task the time since it was created', () => {
    expect(taskDuration({ state: 'running', created_ms: 40_000, ended_ms: null, duration_ms: null }, now)).toEqual({
      ms: 60_000,
      running: true,
    })
    expect(taskDuration({ state: 'waiting_input', created_ms: 99_000, ended_ms: null, duration_ms: null }, now)?.running).toBe(true)
  })

  it('knows nothing of an ended task without times', () => {
    expect(taskDuration({ state: 'cancelled', created_ms: 1000, ended_ms: null, duration_ms: null }, now)).toBeNull()
  })
})

describe('shortTaskId', () => {
  it('keeps the start of a long id', () => {
    expect(shortTaskId('t-46f2c192ca2e5d19ba3b616ad0211a23')).toBe('t-46f2c192…')
    expect(shortTaskId('t-1')).toBe('t-1')
    expect(shortTaskId('t-123456789')).toBe('t-123456789')
  })
})
