// The tools panel's record of calls, as pure functions: what one call
// yields (result or error, how long it took), the short history of the
// page's calls, and the texts the panel shows for them.
import { formatAbsolute, formatDuration } from './timeFormat'

/** One finished call of a tool from this page. */
export interface ToolCallRecord {
  /** Unique on the page, in call order. */
  id: number
  tool: string
  args: Record<string, unknown>
  ok: boolean
  /** When ok. */
  result?: unknown
  /** When not ok: the protocol's code (or "error") and message. */
  error?: { code: string; message: string }
  /** Wall time from sending to the answer, in ms. */
  durationMs: number
  /** Unix ms when the call was sent. */
  at: number
}

/** How many calls the history keeps. */
export const HISTORY_SIZE = 10

/** The history with `rec` added: newest first, at most `size`. */
export function addToHistory(history: readonly ToolCallRecord[], rec: ToolCallRecord, size = HISTORY_SIZE): ToolCallRecord[] {
  return [rec, ...history].slice(0, Math.max(0, size))
}

/** The code and message of whatever a failed call threw (a StreamError, a
 * network error, anything else). */
export function errorOf(e: unknown): { code: string; message: string } {
  const err = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; message?: unknown }
  const code = typeof err.code === 'string' && err.code ? err.code : 'error'
  const message = typeof err.message === 'string' ? err.message : String(e)
  return { code, message }
}

/** A call's arguments on one line, cut to `max` characters: `{"path":"."}`,
 * or "no arguments". */
export function argsSummary(args: Record<string, unknown>, max = 60): string {
  const text = JSON.stringify(args) ?? '{}'
  if (text === '{}') return 'no arguments'
  const chars = [...text]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
}

/** The full result, pretty-printed; nothing is ever cut. */
export function resultText(rec: Pick<ToolCallRecord, 'ok' | 'result' | 'error'>): string {
  if (!rec.ok) return JSON.stringify(rec.error ?? { code: 'error', message: '' }, null, 2)
  return JSON.stringify(rec.result === undefined ? null : rec.result, null, 2)
}

/** "ok in 3 ms" / "invalid_args in 12 ms". */
export function outcomeText(rec: Pick<ToolCallRecord, 'ok' | 'error' | 'durationMs'>): string {
  return `${rec.ok ? 'ok' : (rec.error?.code ?? 'error')} in ${formatDuration(rec.durationMs)}`
}

/** The local time of day a call was sent: "14:03:27". */
export function callTime(at: number): string {
  return formatAbsolute(at).slice(11)
}
