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
  'get_status',
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
  'status',
  'shutdown',
  'tools_changed',
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
  'interrupted',
  'storage_unavailable',
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

// ---------------------------------------------------------------- task events

/** A task event's type: one of TASK_EVENT_TYPES. */
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number]

/** What every task event carries (PROTOCOL.md, "Task events"). */
export interface TaskEventBase<T extends TaskEventType = TaskEventType> {
  type: T
  task_id: string
  /** 1, 2, 3, … without gaps. */
  seq: number
  /** Unix ms. */
  ts: number
}

export interface TaskStartedEvent extends TaskEventBase<'started'> {
  task: string
  /** With defaults filled in. */
  params: Record<string, unknown>
}

export interface TaskProgressEvent extends TaskEventBase<'progress'> {
  step: number
  /** null when unknown. */
  total: number | null
  message: string
  /** How many earlier progress events this one replaces (coalescing only). */
  skipped?: number
}

export interface TaskLogEvent extends TaskEventBase<'log'> {
  level: string
  message: string
}

export interface TaskToolCallEvent extends TaskEventBase<'tool_call'> {
  call_id: string
  tool: string
  args: Record<string, unknown>
}

export interface TaskToolResultEvent extends TaskEventBase<'tool_result'> {
  call_id: string
  ok: boolean
  /** When ok; over 64 KiB replaced by {"truncated":true,"bytes":N}. */
  result?: unknown
  /** When not ok. */
  error?: { code: string; message: string }
}

export interface TaskInputRequestEvent extends TaskEventBase<'input_request'> {
  request_id: string
  prompt: string
  schema: JsonSchema
  timeout_ms: number
  /** What the question is about, when the flow says (optional). */
  context?: InputContext
}

/** An input request's `context`: what the question is about. Triage sends
 * the finding and its place among the questions; other flows may send
 * other fields or none. */
export interface InputContext {
  /** The finding a triage question is about (excerpt redacted). */
  finding?: { rule: string; severity: string; path: string; line: number; excerpt: string }
  /** This question's number among the flow's questions, from 1. */
  index?: number
  /** How many questions the flow will ask in all. */
  count?: number
  [key: string]: unknown
}

export interface TaskInputReceivedEvent extends TaskEventBase<'input_received'> {
  request_id: string
  value: unknown
}

/** Terminal: state completed. */
export interface TaskResultEvent extends TaskEventBase<'result'> {
  data: unknown
}

/** Terminal: state failed. */
export interface TaskErrorEvent extends TaskEventBase<'error'> {
  /** One of ERROR_CODES. */
  code: string
  message: string
}

/** Terminal: state cancelled. */
export interface TaskStoppedEvent extends TaskEventBase<'stopped'> {
  reason: string
}

/** One event of a task's log, discriminated by `type`. */
export type TaskEvent =
  | TaskStartedEvent
  | TaskProgressEvent
  | TaskLogEvent
  | TaskToolCallEvent
  | TaskToolResultEvent
  | TaskInputRequestEvent
  | TaskInputReceivedEvent
  | TaskResultEvent
  | TaskErrorEvent
  | TaskStoppedEvent

/** The event of one type, e.g. TaskEventOf<'progress'>. */
export type TaskEventOf<T extends TaskEventType> = Extract<TaskEvent, { type: T }>

// Compile-time check: every name in TASK_EVENT_TYPES has its interface above.
type AssertTrue<T extends true> = T
type EveryEventTypeHasAnInterface = AssertTrue<
  [TaskEventType] extends [TaskEvent['type']] ? true : false
>

/** The task states as a list, for narrowing and for pickers, in their usual
 * order (the same names as TaskStateName). */
export const TASK_STATE_LIST = ['running', 'waiting_input', 'completed', 'failed', 'cancelled'] as const
type EveryTaskStateIsListed = AssertTrue<
  [TaskStateName] extends [(typeof TASK_STATE_LIST)[number]] ? true : false
>
const TASK_STATE_SET: ReadonlySet<unknown> = new Set(TASK_STATE_LIST)

export function isTaskStateName(v: unknown): v is TaskStateName {
  return TASK_STATE_SET.has(v)
}

// ---------------------------------------------------------------- client messages

/** `coalesce` of start and subscribe. */
export type Coalesce = typeof COALESCE

/** Messages a client sends; each may carry an `id` its reply echoes. */
export type ClientMessage = { id?: string | number } & (
  | { type: 'start'; task: string; params?: Record<string, unknown>; coalesce?: Coalesce }
  | { type: 'stop'; task_id: string; reason?: string }
  | { type: 'input'; task_id: string; request_id: string; value: unknown }
  | { type: 'list_tools' }
  | { type: 'call_tool'; call_id: string; tool: string; args: Record<string, unknown> }
  | { type: 'subscribe'; task_id: string; after?: number; coalesce?: Coalesce }
  | { type: 'unsubscribe'; task_id: string }
  | ({ type: 'list_tasks' } & TaskListQuery)
  | { type: 'list_kinds' }
  | { type: 'ping' }
  | { type: 'get_status' }
)

// ---------------------------------------------------------------- server messages

/** A direct reply echoes the command's `id` as `reply_to`. */
export interface Correlated {
  reply_to?: string | number
}

export interface HelloMessage {
  type: 'hello'
  protocol: number
  session_id: string
  heartbeat_ms: number
  server: string
}

export interface HeartbeatMessage {
  type: 'heartbeat'
  ts: number
}

export interface PongMessage extends Correlated {
  type: 'pong'
  ts: number
}

export interface StartSuccess extends Correlated {
  type: 'start_success'
  task_id: string
  task: string
  /** The path of the task's SSE stream. */
  events: string
}

export interface StopSuccess extends Correlated {
  type: 'stop_success'
  task_id: string
  state: TaskStateName
}

export interface InputSuccess extends Correlated {
  type: 'input_success'
  task_id: string
  request_id: string
}

export interface SubscribeSuccess extends Correlated {
  type: 'subscribe_success'
  task_id: string
  state: TaskStateName
}

export interface UnsubscribeSuccess extends Correlated {
  type: 'unsubscribe_success'
  task_id: string
}

export interface ToolsMessage extends Correlated {
  type: 'tools'
  tools: ToolInfo[]
}

export interface ToolResultMessage extends Correlated {
  type: 'tool_result'
  call_id: string
  result: unknown
}

export interface TasksMessage extends Correlated {
  type: 'tasks'
  tasks: TaskSummary[]
  next_cursor?: string
}

export interface KindsMessage extends Correlated {
  type: 'kinds'
  kinds: KindInfo[]
}

/** Reply to `get_status`; also the body of GET /api/status (without
 * reply_to). A node's state at a glance. */
export interface StatusMessage extends Correlated {
  type: 'status'
  /** This node's name. */
  node: string
  /** "switchboard/<version>". */
  server: string
  /** Where finished tasks are kept: "sqlite" or "memory". */
  history: 'sqlite' | 'memory'
  /** Finished tasks are deleted this long after they end. */
  retention_ms: number
  /** At most this many finished tasks are kept (oldest deleted first);
   * null in memory, where the bytes their logs pin decide. */
  max_tasks_kept: number | null
  /** Tasks on this node now: running, waiting for input, and those that
   * failed within the last hour. */
  tasks: { running: number; waiting_input: number; failed_last_hour: number }
  /** Task events emitted since the process started (a rate is the
   * difference of two readings over their time apart). */
  events_total: number
  /** Unix ms when this reading was taken. */
  ts: number
  /** True while the server drains. */
  draining: boolean
  /** On a clustered node: the members it knows, itself first, with their
   * running tasks (as each last said, within a second) and whether they
   * drain. */
  nodes?: { name: string; host: string; port: number; running: number; draining: boolean }[]
}

export interface ShutdownMessage {
  type: 'shutdown'
  grace_ms: number
}

/** The cluster's tools changed (a node joined or left): the whole list. */
export interface ToolsChangedMessage {
  type: 'tools_changed'
  tools: ToolInfo[]
}

/** A command's failure (with reply_to), or a notice such as events_expired
 * (then with the task_id it concerns), or an HTTP error body. */
export interface ErrorMessage extends Correlated {
  type: 'error'
  /** One of ERROR_CODES. */
  code: string
  message: string
  task_id?: string
}

/** A task's snapshot: GET /api/tasks/ID, and SSE `event: snapshot`. */
export interface TaskSnapshot {
  type: 'task'
  task_id: string
  task: string
  state: TaskStateName
  params: Record<string, unknown>
  created_ms: number
  last_seq: number
  progress: { step: number; total: number | null; message: string } | null
  pending_input: {
    request_id: string
    prompt: string
    schema: JsonSchema
    timeout_ms: number
    context?: InputContext
    /** Unix ms when the request was made. */
    ts?: number
  } | null
  /** completed */
  result?: unknown
  /** failed */
  error?: { code: string; message: string }
  /** cancelled */
  stopped?: { reason: string }
}

/** What a reducer takes from a snapshot: the task_id, and any other field present. */
export type SnapshotLike = Pick<TaskSnapshot, 'task_id'> & Partial<TaskSnapshot>

/** Every message the server sends that is not a task event. */
export type ServerMessage =
  | HelloMessage
  | HeartbeatMessage
  | PongMessage
  | StartSuccess
  | StopSuccess
  | InputSuccess
  | SubscribeSuccess
  | UnsubscribeSuccess
  | ToolsMessage
  | ToolResultMessage
  | TasksMessage
  | KindsMessage
  | StatusMessage
  | ShutdownMessage
  | ToolsChangedMessage
  | ErrorMessage
  | TaskSnapshot

// ---------------------------------------------------------------- narrowing

/** A JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A message with a string `type`: what the server's messages have in common.
 * Its other fields are as the protocol says but not checked here; readers
 * still coerce what they take. */
export function isServerMessage(v: unknown): v is ServerMessage {
  return isRecord(v) && typeof v.type === 'string'
}

/** True for a message that is a task event (it has task_id and seq). */
export function isTaskEvent(v: unknown): v is TaskEvent {
  return isRecord(v) && typeof v.task_id === 'string' && typeof v.seq === 'number'
}

/** Field `key` of a reply expected to be an `M`, or undefined when the reply
 * is not an object. The key is checked against M; the value is not. */
export function replyField<M extends object>(reply: unknown, key: keyof M & string): unknown {
  return isRecord(reply) ? reply[key] : undefined
}

/** `v` when it is an array (its elements as the protocol describes them), else []. */
export function listOf<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : []
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

/** One entry of the task history (`list_tasks`, `GET /api/tasks`). */
export interface TaskSummary {
  task_id: string
  /** The task's kind. */
  task: string
  state: TaskStateName
  /** Unix ms. */
  created_ms: number
  last_seq: number
  /** Unix ms when it ended; null while it runs. */
  ended_ms: number | null
  /** ended_ms - created_ms; null while it runs. */
  duration_ms: number | null
  /** The node that runs (or ran) it. */
  node: string
}

/** The filter and page fields of `list_tasks`, as sent: the message's fields
 * over WebSocket, the query parameters of `GET /api/tasks` over HTTP. */
export interface TaskListQuery {
  /** 1 to 1000 (the server's default 1000). */
  limit?: number
  /** A previous reply's next_cursor: the next, older page. */
  cursor?: string
  /** One state, or a comma-separated list of states. */
  state?: string
  /** A task kind, e.g. "audit". */
  kind?: string
  /** Unix ms: created_ms >= since. */
  since?: number
  /** Unix ms: created_ms < until. */
  until?: number
}

/** What a caller of listTasks asks for: states as names or a list of them. */
export interface TaskListFilter {
  state?: TaskStateName | readonly TaskStateName[]
  kind?: string
  since?: number
  until?: number
  limit?: number
  cursor?: string
}

/** One page of the task history, newest first. */
export interface TaskPage {
  tasks: TaskSummary[]
  /** Pass as `cursor` for the next, older page; null on the last page. */
  nextCursor: string | null
}

/** The wire form of a filter: empty fields left out, states joined by commas. */
export function taskListQuery(filter: TaskListFilter = {}): TaskListQuery {
  const q: TaskListQuery = {}
  const states = typeof filter.state === 'string' ? [filter.state] : (filter.state ?? [])
  if (states.length > 0) q.state = states.join(',')
  if (filter.kind) q.kind = filter.kind
  if (typeof filter.since === 'number' && Number.isFinite(filter.since)) q.since = Math.floor(filter.since)
  if (typeof filter.until === 'number' && Number.isFinite(filter.until)) q.until = Math.floor(filter.until)
  if (typeof filter.limit === 'number' && Number.isFinite(filter.limit)) q.limit = Math.min(1000, Math.max(1, Math.floor(filter.limit)))
  if (filter.cursor) q.cursor = filter.cursor
  return q
}

/** A `tasks` reply (or body) as a page; anything missing reads as empty. */
export function taskPageOf(reply: unknown): TaskPage {
  const cursor = replyField<TasksMessage>(reply, 'next_cursor')
  return {
    tasks: listOf<TaskSummary>(replyField<TasksMessage>(reply, 'tasks')),
    nextCursor: typeof cursor === 'string' && cursor !== '' ? cursor : null,
  }
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

/** A finding a triage did not decide on (its question timed out). */
export interface UndecidedFinding {
  rule: string
  path: string
  line: number
  severity: string
}
