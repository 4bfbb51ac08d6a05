// What useAgentStream needs of a transport, and what both transports share.
//
// A transport carries commands to the server and brings back task events,
// snapshots and connection state. It keeps no task state of its own: it reads
// the resume point and whether a task is still wanted from its host (the
// reducer's task map in useAgentStream) and reports everything it receives
// through the host's callbacks.

import {
  isRecord,
  type KindInfo,
  type SnapshotLike,
  type StatusMessage,
  type TaskEvent,
  type TaskListFilter,
  type TaskPage,
  type TaskStateName,
  type ToolInfo,
} from '../../protocol'

export type TransportKind = 'ws' | 'sse'

export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface ConnectionInfo {
  transport: TransportKind
  status: ConnectionStatus
  sessionId: string
  heartbeatMs: number
  /** Failed attempts since the last stable connection. */
  attempt: number
  /** Successful reconnections so far. */
  reconnects: number
  /** Delay of the reconnect now scheduled, if any. */
  nextRetryMs: number | null
  lastClose: { code: number; reason: string } | null
  /** The last error not tied to a command (e.g. watchdog, shutdown). */
  lastError: string
  /** Events dropped because their seq was already seen. */
  duplicatesDropped: number
}

/** The part of ConnectionInfo a transport reports. */
export type TransportState = Pick<
  ConnectionInfo,
  'status' | 'sessionId' | 'heartbeatMs' | 'attempt' | 'reconnects' | 'nextRetryMs' | 'lastClose'
>

export class StreamError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message)
    this.name = 'StreamError'
  }
}

export interface BackoffOptions {
  /** First delay before reconnecting, in ms. */
  initialMs: number
  /** Upper bound of any delay, in ms. */
  maxMs: number
  /** Growth per failed attempt. */
  factor: number
  /** Fraction of the delay that is random: delay in [d*(1-jitter), d]. */
  jitter: number
  /** A connection open this long resets the attempt counter. */
  stableMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 15000,
  factor: 2,
  jitter: 0.5,
  stableMs: 10000,
}

/** Delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const raw = Math.min(opts.maxMs, opts.initialMs * Math.pow(opts.factor, attempt))
  const j = Math.min(1, Math.max(0, opts.jitter))
  return Math.round(raw * (1 - j) + raw * j * random())
}

/** What the constructors of WebSocket and EventSource must provide. */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}
export type WebSocketCtor = new (url: string) => WebSocketLike

/** What an EventSource listener receives: a MessageEvent, or a plain Event
 * (no data) when the stream broke. */
export interface SseEventLike {
  type?: string
  data?: unknown
  lastEventId?: string
}

export interface EventSourceLike {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  addEventListener(type: string, listener: (ev: SseEventLike) => void): void
  close(): void
}
export type EventSourceCtor = new (url: string) => EventSourceLike

export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; statusText: string; text(): Promise<string> }>

/** How a transport reaches the server; useAgentStream fills in the defaults. */
export interface TransportSettings {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8080. */
  base: string
  /** A bearer token, or ''. */
  token: string
  requestTimeoutMs: number
  /** Used until hello tells the real interval. */
  defaultHeartbeatMs: number
  backoff: BackoffOptions
  random: () => number
  WebSocket?: WebSocketCtor
  EventSource?: EventSourceCtor
  fetch?: FetchLike
  /** Incoming frames are handled in slices of this many ms, the main thread
   * given back between them (frame.ts createInbox); 0 or Infinity: each at
   * once, as it comes. */
  sliceMs?: number
}

/** `access_token=…` for URLs where browsers cannot set headers, or ''. */
export function tokenQuery(token: string): string {
  return token ? `access_token=${encodeURIComponent(token)}` : ''
}

/** The call_id of a tool call: unique on its connection. */
export function newCallId(n: number): string {
  return `ui-${Date.now().toString(36)}-${n}`
}

/** What a transport reads of the client's tasks and reports back to it. */
export interface TransportHost {
  /** A task event arrived (any seq: the host drops what it has seen). */
  onEvent(ev: TaskEvent): void
  /** A task's snapshot arrived (SSE, after events_expired or past the end). */
  onSnapshot(s: SnapshotLike): void
  /** Some of the task's early events expired; the retained ones follow. */
  onEventsExpired(taskId: string): void
  /** The connection state changed. */
  onState(patch: Partial<TransportState>): void
  /** An error not tied to a command (watchdog, shutdown, an unsolicited error). */
  onError(message: string): void
  /** The server does not know the task (never did, or its history was
   * deleted): the transport stops following it and never retries. */
  onUnknownTask(taskId: string): void
  /** The server's tool list changed (tools_changed, or a relist after a reconnect). */
  onTools(tools: ToolInfo[]): void
  /** The transport is (again) ready for commands: the host resumes its
   * watched tasks with subscribe(). */
  onOpen(): void
  /** The last seq applied for a task: where a resumed stream starts. */
  lastSeq(taskId: string): number
  /** The user still wants the task's events. */
  isWatched(taskId: string): boolean
  /** The task reached completed, failed or cancelled. */
  isTerminal(taskId: string): boolean
}

/** One way to talk to the server. Commands reject with StreamError, whose
 * code is the protocol's error code (or not_connected, connection_lost,
 * timeout, bad_json, http_NNN). */
export interface Transport {
  readonly kind: TransportKind
  /** True between connect() and close() (or a close code that ends it). */
  readonly running: boolean
  /** Opens the connection; onOpen follows once commands can be sent. */
  connect(): void
  /** Closes everything; in-flight commands reject with connection_lost and
   * nothing reconnects until connect(). */
  close(): void
  /** Starts a task. `subscribed`: its events already come (the WebSocket
   * session that starts a task is subscribed to it). */
  start(task: string, params: Record<string, unknown>): Promise<{ taskId: string; subscribed: boolean }>
  /** Stops a task; resolves with the state it ended in ('' when not said). */
  stop(taskId: string, reason: string): Promise<string>
  /** Answers an input request. */
  answer(taskId: string, requestId: string, value: unknown): Promise<void>
  /** Follows a task's events after seq `after`. Resolves with the task's
   * state when the server tells it. A transport that cannot send yet resolves
   * at once: onOpen will ask again. */
  subscribe(taskId: string, after: number): Promise<TaskStateName | undefined>
  /** Stops following a task. */
  unsubscribe(taskId: string): Promise<void>
  /** True when the task's events come, or will without another subscribe(). */
  following(taskId: string): boolean
  /** One page of the task history, newest first, filtered (list_tasks /
   * GET /api/tasks with the same fields: protocol.ts taskListQuery). */
  listTasks(filter?: TaskListFilter): Promise<TaskPage>
  listTools(): Promise<ToolInfo[]>
  listKinds(): Promise<KindInfo[]>
  /** The node at a glance (get_status / GET /api/status). */
  status(): Promise<StatusMessage>
  /** Calls a tool; resolves with its result. */
  callTool(tool: string, args: Record<string, unknown>): Promise<unknown>
}

/** A `status` reply (or GET /api/status body) with every field present:
 * numbers that are missing or not finite read as 0, so a rate or a count is
 * never NaN; max_tasks_kept is null unless it is a number (the memory history
 * sends null: no count limit). Anything that is not a status object is
 * bad_message. */
export function statusOf(reply: unknown): StatusMessage {
  if (!isRecord(reply) || reply.type !== 'status') throw new StreamError('bad_message', 'the server sent something other than a status')
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
  const tasks = isRecord(reply.tasks) ? reply.tasks : {}
  return {
    type: 'status',
    node: String(reply.node ?? ''),
    server: String(reply.server ?? ''),
    history: reply.history === 'memory' ? 'memory' : 'sqlite',
    retention_ms: num(reply.retention_ms),
    max_tasks_kept:
      typeof reply.max_tasks_kept === 'number' && Number.isFinite(reply.max_tasks_kept) ? reply.max_tasks_kept : null,
    tasks: { running: num(tasks.running), waiting_input: num(tasks.waiting_input), failed_last_hour: num(tasks.failed_last_hour) },
    events_total: num(reply.events_total),
    ts: num(reply.ts),
    draining: reply.draining === true,
    ...(Array.isArray(reply.nodes)
      ? {
          nodes: reply.nodes.filter(isRecord).map((n) => ({
            name: String(n.name ?? ''),
            host: String(n.host ?? ''),
            port: num(n.port),
            running: num(n.running),
            draining: n.draining === true,
          })),
        }
      : {}),
  }
}

export type TransportFactory = (settings: TransportSettings, host: TransportHost) => Transport

export function clearTimer(t: ReturnType<typeof setTimeout> | null): null {
  if (t !== null) clearTimeout(t)
  return null
}
