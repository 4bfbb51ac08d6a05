// Types of the Switchboard wire protocol, version 1 (shared/PROTOCOL.md).

export type TaskStateName =
  | 'running'
  | 'waiting_input'
  | 'completed'
  | 'failed'
  | 'cancelled'

export const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'cancelled',
])

/** Event types a task's log holds; the SSE stream names them in `event:`. */
export const TASK_EVENT_TYPES = [
  'started',
  'progress',
  'log',
  'tool_call',
  'tool_result',
  'input_request',
  'input_received',
  'result',
  'error',
  'stopped',
] as const

/**
 * The coalescing mode the UI asks for on `start`, `subscribe` and SSE
 * (`?coalesce=`): while it is behind, the server sends only the latest of each
 * run of `progress` events, with `skipped` (how many it replaces). No other
 * event is ever skipped.
 */
export const COALESCE = 'progress'

export interface TaskEvent {
  type: string
  task_id: string
  seq: number
  ts: number
  [field: string]: unknown
}

export type JsonSchema = {
  type?: string | string[]
  enum?: unknown[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  default?: unknown
  description?: string
  title?: string
  minimum?: number
  maximum?: number
  items?: JsonSchema
  [keyword: string]: unknown
}

/** A task kind as `list_kinds` / `GET /api/kinds` describe it: the params
 * schema carries every default, description, enum and bound. */
export interface KindInfo {
  name: string
  description: string
  params_schema: JsonSchema
}

/** How the UI names task states. */
export const STATE_LABELS: Record<string, string> = {
  unknown: 'unknown',
  running: 'running',
  waiting_input: 'waiting for input',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
}

export interface ToolInfo {
  name: string
  description: string
  schema: JsonSchema
  node?: string
}

export interface TaskSummary {
  task_id: string
  task: string
  state: TaskStateName
  created_ms: number
  last_seq: number
}

export interface Finding {
  rule: string
  severity: 'high' | 'medium' | 'low' | string
  path: string
  line: number
  excerpt?: string
}

export interface AuditResult {
  files_scanned: number
  bytes_scanned: number
  findings: Finding[]
  counts: Record<string, number>
}

export interface Decision {
  rule: string
  path: string
  line: number
  severity: string
  decision: string
}
