// The state of the tasks a client follows, as pure functions over a map of
// task views: every event and snapshot from either transport goes through
// here, strictly by seq. useAgentStream keeps the map reactive; these
// functions know nothing of sockets, timers or Vue.
import {
  TERMINAL_STATES,
  isRecord,
  isTaskEvent,
  type InputContext,
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
  /** What the question is about (a triage's finding and its place among
   * the questions), or null when the flow says nothing. */
  context: InputContext | null
  /** Unix ms (the server's clock) after which the question times out:
   * the request's ts + timeout_ms; null when either is unknown. */
  deadline_ms: number | null
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
  /** How many input_received events were applied (answers given). */
  inputsReceived: number
  /** How many questions the flow said it will ask (the latest request's
   * context.count), or null while no request said. */
  questionCount: number | null
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
    inputsReceived: 0,
    questionCount: null,
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
      setPending(t, ev, ev.ts)
      t.state = 'waiting_input'
      break
    case 'input_received':
      t.inputsReceived++
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

const finiteNumber = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** A request's context as far as it is well formed: a finding only with its
 * five fields, index and count only as whole numbers from 1. */
export function inputContextOf(v: unknown): InputContext | null {
  if (!isRecord(v)) return null
  const out: InputContext = { ...v }
  const f = v.finding
  if (
    !isRecord(f) ||
    typeof f.rule !== 'string' ||
    typeof f.severity !== 'string' ||
    typeof f.path !== 'string' ||
    finiteNumber(f.line) === null
  )
    delete out.finding
  else
    out.finding = {
      rule: f.rule,
      severity: f.severity,
      path: f.path,
      line: Number(f.line),
      excerpt: typeof f.excerpt === 'string' ? f.excerpt : '',
    }
  for (const key of ['index', 'count'] as const) {
    const n = finiteNumber(v[key])
    if (n === null || n < 1 || !Number.isInteger(n)) delete out[key]
  }
  return out
}

/** A pending request from an input_request event or a snapshot's
 * pending_input (whose `ts` may be missing). */
function setPending(
  t: TaskView,
  r: { request_id: unknown; prompt?: unknown; schema?: unknown; timeout_ms?: unknown; context?: unknown },
  ts: unknown,
): void {
  const timeout = r.timeout_ms == null ? null : finiteNumber(Number(r.timeout_ms))
  const requested = finiteNumber(ts)
  const context = inputContextOf(r.context)
  t.pendingInput = {
    request_id: String(r.request_id),
    prompt: String(r.prompt ?? ''),
    schema: isRecord(r.schema) ? (r.schema as JsonSchema) : {},
    timeout_ms: timeout,
    context,
    deadline_ms: timeout !== null && requested !== null ? requested + timeout : null,
  }
  if (context?.count !== undefined) t.questionCount = context.count
}

/** How many of a task's questions were answered: the pending question's
 * index - 1 when it has one (right even when early events expired), else
 * the answers seen. */
export function questionsAnswered(t: Pick<TaskView, 'pendingInput' | 'inputsReceived'>): number {
  const index = t.pendingInput?.context?.index
  return index !== undefined ? index - 1 : t.inputsReceived
}

/** Applies a snapshot (GET /api/tasks/ID or SSE `snapshot`). */
export function applySnapshot(tasks: TaskMap, s: SnapshotLike): void {
  const t = ensureTask(tasks, String(s.task_id))
  if (s.task) t.kind = s.task
  if (s.params) t.params = s.params
  if (s.state) t.state = s.state
  if (s.progress) t.progress = s.progress
  if ('pending_input' in s) {
    if (s.pending_input) setPending(t, s.pending_input, s.pending_input.ts)
    else t.pendingInput = null
  }
  if ('result' in s) t.result = s.result
  if (s.error) t.error = s.error
  if (typeof s.last_seq === 'number' && s.last_seq > t.lastSeq) t.lastSeq = s.last_seq
}
