// useAgentStream: the browser client of the Switchboard protocol.
//
// One API over two transports (transports/): 'ws', one WebSocket to /ws for
// commands and the events of every watched task; 'sse', commands over the
// HTTP API and one EventSource per watched task. Per task it keeps reactive
// state built by the reducer (taskState.ts) from the task's events. Events are
// applied strictly by seq: an event whose seq is not above the last one seen
// is dropped, so replays after a reconnect never show twice.

import { getCurrentScope, onScopeDispose, reactive, ref, type Ref } from 'vue'
import type { KindInfo, TaskEvent, TaskListFilter, TaskPage, ToolInfo } from '../protocol'
import * as reducer from './taskState'
import type { TaskView } from './taskState'
import { createSseTransport } from './transports/sse'
import {
  DEFAULT_BACKOFF,
  StreamError,
  type BackoffOptions,
  type ConnectionInfo,
  type EventSourceCtor,
  type FetchLike,
  type TransportHost,
  type TransportKind,
  type WebSocketCtor,
} from './transports/transport'
import { createWsTransport } from './transports/ws'

export { DEFAULT_BACKOFF, StreamError, backoffDelay } from './transports/transport'
export type {
  BackoffOptions,
  ConnectionInfo,
  ConnectionStatus,
  EventSourceCtor,
  EventSourceLike,
  FetchLike,
  TransportKind,
  WebSocketCtor,
  WebSocketLike,
} from './transports/transport'
export type { PendingInput, TaskView } from './taskState'

export interface AgentStreamOptions {
  transport?: TransportKind
  /** Base URL of the server, e.g. http://127.0.0.1:8080; default the page's origin. */
  url?: string
  /** How long a command waits for its reply. */
  requestTimeoutMs?: number
  /** Used until hello tells the real interval. */
  defaultHeartbeatMs?: number
  backoff?: Partial<BackoffOptions>
  random?: () => number
  WebSocket?: WebSocketCtor
  EventSource?: EventSourceCtor
  fetch?: FetchLike
  /** Connect at once (default true). */
  autoConnect?: boolean
  /** A bearer token for servers that require one (sent as access_token on
   *  /ws and SSE streams, where browsers cannot set headers). */
  token?: string
}

const EXPIRED_NOTICE = 'some early events expired and are not shown'
const UNKNOWN_NOTICE = 'the server no longer knows this task'

export function useAgentStream(options: AgentStreamOptions = {}) {
  const kind: TransportKind = options.transport ?? 'ws'
  const defaultHeartbeatMs = options.defaultHeartbeatMs ?? 15000
  const globals = globalThis as { WebSocket?: WebSocketCtor; EventSource?: EventSourceCtor; fetch?: FetchLike }

  const connection = reactive<ConnectionInfo>({
    transport: kind,
    status: 'idle',
    sessionId: '',
    heartbeatMs: defaultHeartbeatMs,
    attempt: 0,
    reconnects: 0,
    nextRetryMs: null,
    lastClose: null,
    lastError: '',
    duplicatesDropped: 0,
  })
  const tasks = reactive<Record<string, TaskView>>({})
  const tools: Ref<ToolInfo[]> = ref([])
  const kinds: Ref<KindInfo[]> = ref([])

  function ensureTask(id: string): TaskView {
    return reducer.ensureTask(tasks, id)
  }

  /** Applies one task event; returns false when it was a duplicate. */
  function applyEvent(ev: TaskEvent): boolean {
    const applied = reducer.applyEvent(tasks, ev)
    if (!applied) connection.duplicatesDropped++
    return applied
  }

  const host: TransportHost = {
    onEvent: applyEvent,
    onSnapshot: (s) => reducer.applySnapshot(tasks, s),
    onEventsExpired: (id) => {
      ensureTask(id).notice = EXPIRED_NOTICE
    },
    onState: (patch) => {
      Object.assign(connection, patch)
    },
    onError: (message) => {
      connection.lastError = message
    },
    onTools: (list) => {
      tools.value = list
    },
    // (Re)opened: resume every watched task after the last seq applied.
    onOpen: () => {
      for (const t of Object.values(tasks)) if (t.watched && !reducer.isTerminal(t)) follow(t).catch(() => {})
    },
    lastSeq: (id) => tasks[id]?.lastSeq ?? 0,
    isWatched: (id) => !!tasks[id]?.watched,
    isTerminal: (id) => !!tasks[id] && reducer.isTerminal(tasks[id]),
  }

  const base = options.url ?? (typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1:8080')
  // The one place the transport is chosen.
  const transport = (kind === 'ws' ? createWsTransport : createSseTransport)(
    {
      base: base.replace(/\/+$/, ''),
      token: options.token ?? '',
      requestTimeoutMs: options.requestTimeoutMs ?? 10000,
      defaultHeartbeatMs,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      random: options.random ?? Math.random,
      WebSocket: options.WebSocket ?? globals.WebSocket,
      EventSource: options.EventSource ?? globals.EventSource,
      fetch: options.fetch ?? globals.fetch?.bind(globalThis),
    },
    host,
  )

  /** Subscribes a task after its last seq; takes the state the server tells. */
  function follow(t: TaskView): Promise<void> {
    return transport.subscribe(t.id, t.lastSeq).then(
      (state) => {
        if (t.state === 'unknown' && state) t.state = state
      },
      (err: unknown) => {
        if (err instanceof StreamError && err.code === 'unknown_task') {
          t.notice = UNKNOWN_NOTICE
          t.watched = false
        }
        throw err
      },
    )
  }

  function connect() {
    if (transport.running) return
    connection.lastError = ''
    transport.connect()
  }

  /** Closes everything (WebSocket: with 1000); nothing reconnects until connect(). */
  function disconnect() {
    transport.close()
  }

  async function start(task: string, params: Record<string, unknown> = {}): Promise<string> {
    const { taskId, subscribed } = await transport.start(task, params)
    const t = ensureTask(taskId)
    t.kind = t.kind ?? task
    if (t.state === 'unknown') t.state = 'running'
    if (subscribed) t.watched = true
    else watch(t.id)
    return t.id
  }

  async function stop(taskId: string, reason = 'stopped by user'): Promise<string> {
    return transport.stop(taskId, reason)
  }

  async function input(taskId: string, requestId: string, value: unknown): Promise<void> {
    await transport.answer(taskId, requestId, value)
  }

  async function listTools(): Promise<ToolInfo[]> {
    tools.value = await transport.listTools()
    return tools.value
  }

  /** The task kinds the server runs, with their params schemas. */
  async function listKinds(): Promise<KindInfo[]> {
    kinds.value = await transport.listKinds()
    return kinds.value
  }

  async function callTool(tool: string, args: Record<string, unknown>): Promise<unknown> {
    return transport.callTool(tool, args)
  }

  /** One page of the task history, newest first: `filter` narrows it by
   * state, kind and creation time; its `cursor` is a previous page's
   * nextCursor. */
  async function listTasks(filter: TaskListFilter = {}): Promise<TaskPage> {
    return transport.listTasks(filter)
  }

  /** Follows a task's events from after the last seq seen. */
  async function watch(taskId: string): Promise<void> {
    const t = ensureTask(taskId)
    if (t.watched && transport.following(taskId)) return
    t.watched = true
    await follow(t)
  }

  async function unwatch(taskId: string): Promise<void> {
    const t = tasks[taskId]
    if (!t || !t.watched) return
    t.watched = false
    await transport.unsubscribe(taskId)
  }

  if (options.autoConnect !== false) connect()
  if (getCurrentScope()) onScopeDispose(disconnect)

  return {
    connection,
    tasks,
    tools,
    connect,
    disconnect,
    start,
    stop,
    input,
    listTools,
    listKinds,
    kinds,
    callTool,
    listTasks,
    watch,
    unwatch,
    /** For tests and tools: feed an event as if it came from the server. */
    applyEvent,
  }
}

export type AgentStream = ReturnType<typeof useAgentStream>
