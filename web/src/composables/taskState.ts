// The state of the tasks a client follows, as pure functions over a map of
// task views: every event and snapshot from either transport goes through
// here, strictly by seq. useAgentStream keeps the map reactive; these
// functions know nothing of sockets, timers or Vue.
import {
  TERMINAL_STATES,
  isTaskEvent,
  type JsonSchema,
  type SnapshotLike,
  type TaskEvent,
  type TaskStateName,
} from '../protocol'

export interface PendingInput {
  request_id: string
  prompt: string
  schema: JsonSchema
  timeout_ms: number | null
}

export interface TaskView {
  id: string
  kind: string | null
  state: TaskStateName | 'unknown'
  params: Record<string, unknown> | null
  progress: { step: number; total: number | null; message: string } | null
  events: TaskEvent[]
  /** How many of the oldest events were let go to bound memory
   * (useAgentStream keeps the last MAX_EVENTS). */
  droppedEvents: number
  lastSeq: number
  pendingInput: PendingInput | null
  result: unknown
  error: { code: string; message: string } | null
  stopReason: string | null
  watched: boolean
  /** Something the user should know about the stream, e.g. events_expired. */
  notice: string | null
  /** The server does not know the task (never did, or its history was deleted). */
  missing: boolean
}

/** The tasks a client knows, by id. */
export type TaskMap = Record<string, TaskView>

/** A task view before anything is known of the task. */
export function newTask(id: string): TaskView {
  return {
    id,
    kind: null,
    state: 'unknown',
    params: null,
    progress: null,
    events: [],
    droppedEvents: 0,
    lastSeq: 0,
    pendingInput: null,
    result: undefined,
    error: null,
    stopReason: null,
    watched: false,
    notice: null,
    missing: false,
  }
}

/** The view of task `id`, created when missing. */
export function ensureTask(tasks: TaskMap, id: string): TaskView {
  if (!tasks[id]) tasks[id] = newTask(id)
  return tasks[id]
}

/** True once the task reached completed, failed or cancelled. */
export function isTerminal(t: TaskView): boolean {
  return TERMINAL_STATES.has(t.state)
}

// A message is a task event when it has task_id and seq (protocol.ts).
export { isTaskEvent }

/** Applies one task event; returns false when its seq was already seen. */
export function applyEvent(tasks: TaskMap, ev: TaskEvent): boolean {
  const isNew = !tasks[ev.task_id]
  const t = ensureTask(tasks, ev.task_id)
  // The server only sends events of tasks this client is subscribed to.
  if (isNew) t.watched = true
  if (ev.seq <= t.lastSeq) return false
  t.lastSeq = ev.seq
  t.events.push(ev)
  switch (ev.type) {
    case 'started':
      t.kind = ev.task ?? t.kind
      t.params = ev.params ?? null
      if (t.state === 'unknown') t.state = 'running'
      break
    case 'progress':
      t.progress = {
        step: Number(ev.step ?? 0),
        total: ev.total == null ? null : Number(ev.total),
        message: String(ev.message ?? ''),
      }
      if (t.state === 'unknown') t.state = 'running'
      break
    case 'input_request':
      t.pendingInput = {
        request_id: String(ev.request_id),
        prompt: String(ev.prompt ?? ''),
        schema: ev.schema ?? {},
        timeout_ms: ev.timeout_ms == null ? null : Number(ev.timeout_ms),
      }
      t.state = 'waiting_input'
      break
    case 'input_received':
      if (!t.pendingInput || t.pendingInput.request_id === ev.request_id) t.pendingInput = null
      t.state = 'running'
      break
    case 'result':
      t.result = ev.data
      t.pendingInput = null
      t.state = 'completed'
      break
    case 'error':
      t.error = { code: String(ev.code ?? 'internal'), message: String(ev.message ?? '') }
      t.pendingInput = null
      t.state = 'failed'
      break
    case 'stopped':
      t.stopReason = String(ev.reason ?? '')
      t.pendingInput = null
      t.state = 'cancelled'
      break
    default:
      // A type this client does not know (the event is kept in the log).
      if (t.state === 'unknown') t.state = 'running'
  }
  return true
}

/** Applies a snapshot (GET /api/tasks/ID or SSE `snapshot`). */
export function applySnapshot(tasks: TaskMap, s: SnapshotLike): void {
  const t = ensureTask(tasks, String(s.task_id))
  if (s.task) t.kind = s.task
  if (s.params) t.params = s.params
  if (s.state) t.state = s.state
  if (s.progress) t.progress = s.progress
  if ('pending_input' in s) t.pendingInput = s.pending_input ?? null
  if ('result' in s) t.result = s.result
  if (s.error) t.error = s.error
  if (typeof s.last_seq === 'number' && s.last_seq > t.lastSeq) t.lastSeq = s.last_seq
}
