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

/** Messages a client sends (PROTOCOL.md, "Client to server"). */
export const CLIENT_MESSAGE_TYPES = [
  'start',
  'stop',
  'input',
  'list_tools',
  'call_tool',
  'subscribe',
  'unsubscribe',
  'list_tasks',
  'list_kinds',
  'ping',
] as const

export type ClientMessageType = (typeof CLIENT_MESSAGE_TYPES)[number]

/** Server messages that are not task events, and the HTTP API's bodies. */
export const SERVER_MESSAGE_TYPES = [
  'hello',
  'heartbeat',
  'pong',
  'start_success',
  'stop_success',
  'input_success',
  'subscribe_success',
  'unsubscribe_success',
  'tools',
  'tool_result',
  'tasks',
  'kinds',
  'shutdown',
  'error',
  'task',
  'snapshot',
] as const

export type ServerMessageType = (typeof SERVER_MESSAGE_TYPES)[number]

/** Error codes of `error` messages (PROTOCOL.md, "Errors"). */
export const ERROR_CODES = [
  'bad_json',
  'bad_message',
  'unknown_type',
  'too_large',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'overloaded',
  'shutting_down',
  'unknown_task_kind',
  'invalid_params',
  'unknown_task',
  'no_pending_input',
  'invalid_input',
  'unknown_tool',
  'invalid_args',
  'duplicate_call_id',
  'tool_failed',
  'timeout',
  'node_lost',
  'events_expired',
  'internal',
  'tool_timeout',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** WebSocket close codes the server sends (PROTOCOL.md, "Close codes"). */
export const CLOSE_CODES = {
  normal: 1000,
  going_away: 1001,
  policy: 1008,
  too_large: 1009,
  internal: 1011,
  try_again_later: 1013,
} as const

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
