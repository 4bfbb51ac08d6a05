// How the UI writes times and durations: "3 min ago", "850 ms", "3 min 4 s".
// Pure functions of their arguments (the current time is passed in), so the
// task list and the tests agree on every string.

import { TERMINAL_STATES, type TaskSummary } from './protocol'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Two units at most, the larger first: "850 ms", "1.5 s", "12 s",
 * "3 min 4 s", "2 h 5 min", "3 d 4 h". Negative counts as 0; not a number
 * gives "–". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  const d = Math.max(0, ms)
  if (d < SECOND) return `${Math.floor(d)} ms`
  if (d < 10 * SECOND) {
    const tenths = Math.floor(d / 100) / 10
    return `${Number.isInteger(tenths) ? tenths.toFixed(0) : tenths.toFixed(1)} s`
  }
  if (d < MINUTE) return `${Math.floor(d / SECOND)} s`
  if (d < HOUR) return pair(Math.floor(d / MINUTE), 'min', Math.floor((d % MINUTE) / SECOND), 's')
  if (d < DAY) return pair(Math.floor(d / HOUR), 'h', Math.floor((d % HOUR) / MINUTE), 'min')
  return pair(Math.floor(d / DAY), 'd', Math.floor((d % DAY) / HOUR), 'h')
}

function pair(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`
}

/** How long ago `ts` was at `now` (both unix ms): "just now", "42 s ago",
 * "3 min ago", "5 h ago", "2 d ago"; past 30 days, the date. A time up to a
 * minute ahead (clocks differ) is "just now"; further ahead, "in 5 min". */
export function formatRelative(ts: number, now: number): string {
  if (!Number.isFinite(ts) || !Number.isFinite(now)) return '–'
  const diff = now - ts
  if (diff < -MINUTE) return `in ${coarse(-diff)}`
  if (diff < 10 * SECOND) return 'just now'
  if (diff >= 30 * DAY) return formatAbsolute(ts).slice(0, 10)
  return `${coarse(diff)} ago`
}

/** One unit, rounded down: "42 s", "3 min", "5 h", "2 d". */
function coarse(ms: number): string {
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h`
  return `${Math.floor(ms / DAY)} d`
}

const two = (n: number) => String(n).padStart(2, '0')

/** Local date and time, "2026-11-28 03:26:04". */
export function formatAbsolute(ts: number): string {
  if (!Number.isFinite(ts)) return '–'
  const d = new Date(ts)
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  )
}

/** A task's duration: what the server says once it ended; while it runs,
 * the time since it was created (`running` true). null when it ended and
 * the server did not say how long it took. */
export function taskDuration(
  t: Pick<TaskSummary, 'state' | 'created_ms' | 'ended_ms' | 'duration_ms'>,
  now: number,
): { ms: number; running: boolean } | null {
  if (typeof t.duration_ms === 'number') return { ms: t.duration_ms, running: false }
  if (typeof t.ended_ms === 'number') return { ms: t.ended_ms - t.created_ms, running: false }
  if (TERMINAL_STATES.has(t.state)) return null
  return { ms: now - t.created_ms, running: true }
}

/** A task id short enough for a table cell: "t-46f2c192…". */
export function shortTaskId(id: string, keep = 10): string {
  return id.length > keep + 1 ? `${id.slice(0, keep)}…` : id
}
