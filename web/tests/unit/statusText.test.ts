// What the UI says of the server's status: retention, event rate, title.
import { describe, expect, it } from 'vitest'
import { count, eventsPerSecond, formatPeriod, formatRate, pageTitle, retentionText } from '../../src/statusText'

const s = 1000
const h = 3600 * s
const d = 24 * h

describe('statusText', () => {
  it('groups thousands with commas, as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 12345, 100000, 1234567, -4200, 99.6])
      expect(count(n)).toBe(Math.round(n).toLocaleString('en-US'))
  })

  it('writes a period in the largest whole unit, else one decimal', () => {
    expect(formatPeriod(7 * d)).toBe('7 days')
    expect(formatPeriod(d)).toBe('1 day')
    expect(formatPeriod(36 * h)).toBe('36 hours')
    expect(formatPeriod(90 * 60 * s)).toBe('90 minutes')
    expect(formatPeriod(45 * s)).toBe('45 seconds')
    expect(formatPeriod(d + 1)).toBe('1 day')
    expect(formatPeriod(2.5 * d + 7)).toBe('2.5 days')
    expect(formatPeriod(250)).toBe('250 ms')
  })

  it('says how long finished tasks are kept, and where', () => {
    expect(retentionText({ history: 'sqlite', retention_ms: 7 * d, max_tasks_kept: 100000 })).toBe(
      'Finished tasks are kept for 7 days (at most 100,000)',
    )
    expect(retentionText({ history: 'memory', retention_ms: 7 * d, max_tasks_kept: 100000 })).toBe(
      'Finished tasks are kept in memory for 7 days (at most 100,000); a restart loses them',
    )
    // A zero limit is no limit of that kind.
    expect(retentionText({ history: 'sqlite', retention_ms: 0, max_tasks_kept: 50 })).toBe('Finished tasks are kept (at most 50)')
    expect(retentionText({ history: 'sqlite', retention_ms: h, max_tasks_kept: 0 })).toBe('Finished tasks are kept for 1 hour')
    expect(retentionText({ history: 'memory', retention_ms: 2 * h, max_tasks_kept: null })).toBe(
      'Finished tasks are kept in memory for 2 hours; a restart loses them',
    )
  })

  it('computes events per second from two readings, and none across a restart', () => {
    expect(eventsPerSecond(null, { events_total: 10, ts: 5000 })).toBeNull()
    expect(eventsPerSecond({ events_total: 100, ts: 1000 }, { events_total: 350, ts: 6000 })).toBe(50)
    expect(eventsPerSecond({ events_total: 100, ts: 1000 }, { events_total: 100, ts: 6000 })).toBe(0)
    expect(eventsPerSecond({ events_total: 100, ts: 1000 }, { events_total: 5, ts: 6000 })).toBeNull()
    expect(eventsPerSecond({ events_total: 100, ts: 1000 }, { events_total: 200, ts: 1000 })).toBeNull()
    expect(formatRate(null)).toBe('–')
    expect(formatRate(0)).toBe('0.0')
    expect(formatRate(2.345)).toBe('2.3')
    expect(formatRate(12345.6)).toBe('12,346')
  })

  it('puts the waiting count first in the title', () => {
    expect(pageTitle(0)).toBe('Switchboard')
    expect(pageTitle(2)).toBe('(2 waiting) Switchboard')
    expect(pageTitle(100, true)).toBe('(100+ waiting) Switchboard')
  })
})
