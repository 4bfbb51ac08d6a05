// What the UI says of the server's status (get_status / GET /api/status): how
// long finished tasks are kept, the event rate between two readings, and the
// page title. Pure functions, so the components and the tests agree on every
// string.

import type { StatusMessage } from './protocol'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** A whole number with thousands separated by commas: "100,000". By hand,
 * since the first toLocaleString of a page costs 50-90 ms (ICU set-up), a
 * long task of its own. */
export function count(n: number): string {
  const sign = n < 0 ? '-' : ''
  return sign + String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

function plural(n: number, unit: string): string {
  const shown = Number.isInteger(n) ? String(n) : n.toFixed(1)
  return `${shown} ${unit}${n === 1 ? '' : 's'}`
}

/** A retention period in words, in the largest unit it reaches: "7 days",
 * "1 day", "36 hours", "1.5 hours", "90 minutes", "45 seconds". A whole
 * number of a larger unit wins over a fraction of it ("36 hours", not "1.5
 * days"). */
export function formatPeriod(ms: number): string {
  const units: Array<[number, string]> = [
    [DAY, 'day'],
    [HOUR, 'hour'],
    [MINUTE, 'minute'],
    [SECOND, 'second'],
  ]
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return plural(ms / size, unit)
  for (const [size, unit] of units) if (ms >= size) return plural(Math.round((ms / size) * 10) / 10, unit)
  return `${Math.max(0, Math.round(ms))} ms`
}

/** The line under the task table: how long finished tasks stay listed, from
 * the status's retention_ms, max_tasks_kept and history. A zero or null
 * limit is no limit of that kind (the memory history has no count limit:
 * the bytes the logs pin decide). */
export function retentionText(s: Pick<StatusMessage, 'history' | 'retention_ms' | 'max_tasks_kept'>): string {
  const where = s.history === 'memory' ? ' in memory' : ''
  const time = s.retention_ms > 0 ? ` for ${formatPeriod(s.retention_ms)}` : ''
  const most = s.max_tasks_kept != null && s.max_tasks_kept > 0 ? ` (at most ${count(s.max_tasks_kept)})` : ''
  const lost = s.history === 'memory' ? '; a restart loses them' : ''
  return `Finished tasks are kept${where}${time}${most}${lost}`
}

/** Task events per second between two readings (events_total over ts), or
 * null when there is no earlier reading, the clock did not move, or the
 * total went down (the server restarted). */
export function eventsPerSecond(prev: Pick<StatusMessage, 'events_total' | 'ts'> | null, cur: Pick<StatusMessage, 'events_total' | 'ts'>): number | null {
  if (!prev) return null
  const dt = cur.ts - prev.ts
  const de = cur.events_total - prev.events_total
  if (!(dt > 0) || de < 0) return null
  return (de * SECOND) / dt
}

/** "–" before a rate is known; one decimal below 10, whole numbers above. */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return '–'
  return rate < 10 ? (Math.round(rate * 10) / 10).toFixed(1) : count(rate)
}

export const APP_TITLE = 'Switchboard'

/** The page title: the count of tasks waiting for input first, so it shows
 * in a background tab ("(2 waiting) Switchboard"); `more` when there may be
 * more than counted. */
export function pageTitle(waiting: number, more = false): string {
  return waiting > 0 ? `(${waiting}${more ? '+' : ''} waiting) ${APP_TITLE}` : APP_TITLE
}
