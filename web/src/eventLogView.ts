// The event log's pure parts: each event's row text (made once, when the
// event first shows), the type filter, and the windowing math of a list of
// fixed-height rows of which only those in view are in the DOM.
import type { TaskEvent } from './protocol'

/** Height of one row, px (style.css .ev-row). */
export const ROW_HEIGHT = 24
/** Extra height of an expanded row's JSON, px (style.css .ev-json). */
export const EXPANDED_EXTRA = 192
/** Rows rendered above and below the visible ones. */
export const OVERSCAN = 8

/** The type filter's choices: every event, one type, or the terminal ones. */
export const EVENT_FILTERS = [
  { value: 'all', label: 'all events' },
  { value: 'started', label: 'started' },
  { value: 'progress', label: 'progress' },
  { value: 'log', label: 'log' },
  { value: 'tool_call', label: 'tool_call' },
  { value: 'tool_result', label: 'tool_result' },
  { value: 'input_request', label: 'input_request' },
  { value: 'input_received', label: 'input_received' },
  { value: 'terminal', label: 'terminal (result, error, stopped)' },
] as const

export type EventFilter = (typeof EVENT_FILTERS)[number]['value']

const TERMINAL_TYPES: ReadonlySet<string> = new Set(['result', 'error', 'stopped'])

/** True when `e` passes the filter. */
export function matchesFilter(e: TaskEvent, filter: EventFilter): boolean {
  if (filter === 'all') return true
  if (filter === 'terminal') return TERMINAL_TYPES.has(e.type)
  return e.type === filter
}

/** One event as the log shows it. */
export interface EventRow {
  time: string
  summary: string
}

const rows = new WeakMap<TaskEvent, EventRow>()

/** The row of `e`, formatted the first time it is asked for (events never change). */
export function eventRow(e: TaskEvent): EventRow {
  let row = rows.get(e)
  if (!row) {
    row = { time: formatTime(e.ts), summary: summary(e) }
    rows.set(e, row)
  }
  return row
}

/** Local time of day with milliseconds, "14:03:07.042". */
export function formatTime(ts: number): string {
  if (!Number.isFinite(ts)) return '–'
  const d = new Date(ts)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

export function summary(e: TaskEvent): string {
  switch (e.type) {
    case 'started':
      return `${e.task} ${JSON.stringify(e.params ?? {})}`
    case 'progress':
      return `${e.step}${e.total != null ? ' / ' + e.total : ''} ${e.message ?? ''}${e.skipped ? ` (+${e.skipped} skipped)` : ''}`
    case 'log':
      return `[${e.level}] ${e.message}`
    case 'tool_call':
      return `${e.tool} (${e.call_id})`
    case 'tool_result':
      return `${e.call_id}: ${e.ok ? 'ok' : 'failed ' + JSON.stringify(e.error)}`
    case 'input_request':
      return `${e.request_id}: ${e.prompt}`
    case 'input_received':
      return `${e.request_id}: ${JSON.stringify(e.value)}`
    case 'result':
      return 'completed'
    case 'error':
      return `${e.code}: ${e.message}`
    case 'stopped':
      return `cancelled: ${e.reason}`
    default:
      return JSON.stringify(e)
  }
}

/** Layout of a list of `count` rows of which those at the (ascending)
 * indices `expanded` are taller by EXPANDED_EXTRA. */
export interface RowLayout {
  count: number
  expanded: readonly number[]
  rowHeight?: number
  extra?: number
}

/** How many of the sorted `xs` are below `i`. */
function countBelow(xs: readonly number[], i: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (xs[mid] < i) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The top of row `i`, px. */
export function rowTop(layout: RowLayout, i: number): number {
  const h = layout.rowHeight ?? ROW_HEIGHT
  const extra = layout.extra ?? EXPANDED_EXTRA
  return i * h + countBelow(layout.expanded, i) * extra
}

/** The height of the whole list, px. */
export function totalHeight(layout: RowLayout): number {
  return rowTop(layout, layout.count)
}

/** The row at offset `y` px (clamped to the list). */
export function rowAt(layout: RowLayout, y: number): number {
  if (layout.count === 0) return 0
  let lo = 0
  let hi = layout.count - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (rowTop(layout, mid) <= y) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The rows to render, [start, end), for a scroll box `viewport` px high
 * scrolled to `scrollTop`: those in view and `overscan` more each side. */
export function visibleRange(
  layout: RowLayout,
  scrollTop: number,
  viewport: number,
  overscan = OVERSCAN,
): { start: number; end: number } {
  if (layout.count === 0) return { start: 0, end: 0 }
  const first = rowAt(layout, Math.max(0, scrollTop))
  const last = rowAt(layout, Math.max(0, scrollTop + viewport - 1))
  return { start: Math.max(0, first - overscan), end: Math.min(layout.count, last + 1 + overscan) }
}

/** How many of `seqs` (ascending) are above `seq`: the events that came
 * after the one at which following paused. */
export function countAfter(seqs: readonly { seq: number }[], seq: number): number {
  let lo = 0
  let hi = seqs.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (seqs[mid].seq <= seq) lo = mid + 1
    else hi = mid
  }
  return seqs.length - lo
}
