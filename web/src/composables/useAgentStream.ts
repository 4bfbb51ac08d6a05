// useAgentStream: the browser client of the Switchboard protocol.
//
// One API over two transports:
//  - 'ws':  one WebSocket to /ws carries commands (correlated by `id` /
//           `reply_to`) and the events of every watched task;
//  - 'sse': commands over the HTTP API (fetch), one EventSource per watched
//           task on /api/tasks/ID/events.
// Per task it keeps reactive state built from the task's events. Events are
// applied strictly by seq: an event whose seq is not above the last one seen
// is dropped, so replays after a reconnect never show twice.

import { getCurrentScope, onScopeDispose, reactive, ref, type Ref } from 'vue'
import {
  COALESCE,
  TASK_EVENT_TYPES,
  type KindInfo,
  type TaskEvent,
  type TaskSummary,
  type ToolInfo,
} from '../protocol'
import * as reducer from './taskState'
import type { TaskView } from './taskState'

export type TransportKind = 'ws' | 'sse'
export type { PendingInput, TaskView } from './taskState'

export type ConnectionStatus =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'closed'

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
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
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

export interface EventSourceLike {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  addEventListener(type: string, listener: (ev: any) => void): void
  close(): void
}
export type EventSourceCtor = new (url: string) => EventSourceLike

export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; statusText: string; text(): Promise<string> }>

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

const WS_OPEN = 1
const NO_RECONNECT_CODES = new Set([1000, 1008])

export function useAgentStream(options: AgentStreamOptions = {}) {
  const kind: TransportKind = options.transport ?? 'ws'
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff }
  const random = options.random ?? Math.random
  const requestTimeoutMs = options.requestTimeoutMs ?? 10000
  const base = (
    options.url ?? (typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1:8080')
  ).replace(/\/+$/, '')
  const WS: WebSocketCtor | undefined =
    options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket
  const ES: EventSourceCtor | undefined =
    options.EventSource ?? (globalThis as { EventSource?: EventSourceCtor }).EventSource
  const doFetch: FetchLike | undefined =
    options.fetch ?? ((globalThis as { fetch?: FetchLike }).fetch?.bind(globalThis) as FetchLike | undefined)

  const connection = reactive<ConnectionInfo>({
    transport: kind,
    status: 'idle',
    sessionId: '',
    heartbeatMs: options.defaultHeartbeatMs ?? 15000,
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
  let toolsWanted = false
  let stopped = true
  let nextId = 1

  function ensureTask(id: string): TaskView {
    return reducer.ensureTask(tasks, id)
  }

  function isTerminal(t: TaskView) {
    return reducer.isTerminal(t)
  }

  /** Applies one task event; returns false when it was a duplicate. */
  function applyEvent(ev: TaskEvent): boolean {
    const applied = reducer.applyEvent(tasks, ev)
    if (!applied) connection.duplicatesDropped++
    return applied
  }

  function applySnapshot(s: Record<string, any>) {
    reducer.applySnapshot(tasks, s)
  }

  const isTaskEvent = reducer.isTaskEvent

  // ---------------------------------------------------------------- WebSocket

  let ws: WebSocketLike | null = null
  let helloSeen = false
  let everOpened = false
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null
  let watchdogTimer: ReturnType<typeof setTimeout> | null = null
  let stableTimer: ReturnType<typeof setTimeout> | null = null
  const pending = new Map<
    string,
    { resolve: (m: any) => void; reject: (e: StreamError) => void; timer: ReturnType<typeof setTimeout> }
  >()

  const token = options.token ?? ''
  const tokenQuery = token ? `access_token=${encodeURIComponent(token)}` : ''

  function wsUrl() {
    return base.replace(/^http/, 'ws') + '/ws' + (tokenQuery ? `?${tokenQuery}` : '')
  }

  function clearTimer(t: ReturnType<typeof setTimeout> | null) {
    if (t !== null) clearTimeout(t)
    return null
  }

  function armWatchdog() {
    watchdogTimer = clearTimer(watchdogTimer)
    // Before hello, allow the normal reply time; after it, 3 heartbeats.
    const limit = helloSeen ? 3 * connection.heartbeatMs : Math.max(requestTimeoutMs, 3 * connection.heartbeatMs)
    watchdogTimer = setTimeout(() => {
      watchdogTimer = null
      connection.lastError = `no message from the server for ${limit} ms; reconnecting`
      const sock = ws
      if (sock) {
        dropSocket(sock)
        try {
          sock.close(4000, 'heartbeat lost')
        } catch {
          /* already closing */
        }
      }
      onSocketGone(4000, 'heartbeat lost')
    }, limit)
  }

  function dropSocket(sock: WebSocketLike) {
    sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null
    if (ws === sock) ws = null
  }

  function openSocket() {
    reconnectTimer = clearTimer(reconnectTimer)
    if (!WS) throw new Error('no WebSocket implementation')
    connection.nextRetryMs = null
    connection.status = everOpened ? 'reconnecting' : 'connecting'
    helloSeen = false
    let sock: WebSocketLike
    try {
      sock = new WS(wsUrl())
    } catch (e) {
      connection.lastError = String(e)
      scheduleReconnect()
      return
    }
    ws = sock
    sock.onopen = () => armWatchdog()
    sock.onmessage = (e) => onFrame(e.data)
    sock.onclose = (e) => {
      dropSocket(sock)
      onSocketGone(e.code, e.reason)
    }
    sock.onerror = () => {
      /* a close event follows */
    }
  }

  function rejectAll(err: StreamError) {
    for (const [, p] of pending) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    pending.clear()
  }

  function onSocketGone(code: number, reason: string) {
    watchdogTimer = clearTimer(watchdogTimer)
    stableTimer = clearTimer(stableTimer)
    helloSeen = false
    connection.lastClose = { code, reason }
    rejectAll(new StreamError('connection_lost', `connection closed (${code}${reason ? ' ' + reason : ''})`))
    if (stopped || NO_RECONNECT_CODES.has(code)) {
      stopped = true
      connection.status = 'closed'
      return
    }
    scheduleReconnect()
  }

  function scheduleReconnect() {
    const delay = backoffDelay(connection.attempt, backoff, random)
    connection.attempt++
    connection.status = 'reconnecting'
    connection.nextRetryMs = delay
    reconnectTimer = clearTimer(reconnectTimer)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      if (!stopped) openSocket()
    }, delay)
  }

  function onHello(msg: any) {
    helloSeen = true
    connection.sessionId = String(msg.session_id ?? '')
    if (typeof msg.heartbeat_ms === 'number' && msg.heartbeat_ms > 0) connection.heartbeatMs = msg.heartbeat_ms
    connection.status = 'open'
    connection.nextRetryMs = null
    if (everOpened) connection.reconnects++
    everOpened = true
    stableTimer = clearTimer(stableTimer)
    stableTimer = setTimeout(() => {
      stableTimer = null
      connection.attempt = 0
    }, backoff.stableMs)
    armWatchdog()
    // Resume every watched task after the last seq this client applied.
    for (const t of Object.values(tasks)) {
      if (t.watched && !isTerminal(t)) subscribeWs(t)
    }
    if (toolsWanted) listTools().catch(() => {})
  }

  function subscribeWs(t: TaskView) {
    return request({ type: 'subscribe', task_id: t.id, after: t.lastSeq, coalesce: COALESCE }).then(
      (reply) => {
        if (t.state === 'unknown' && reply.state) t.state = reply.state
        return reply
      },
      (err: StreamError) => {
        if (err.code === 'unknown_task') {
          t.notice = 'the server no longer knows this task'
          t.watched = false
        }
        throw err
      },
    )
  }

  function onFrame(data: unknown) {
    if (typeof data !== 'string') return
    let msg: any
    try {
      msg = JSON.parse(data)
    } catch {
      return
    }
    if (!msg || typeof msg !== 'object') return
    armWatchdog()
    if (msg.reply_to !== undefined) {
      const key = String(msg.reply_to)
      const p = pending.get(key)
      if (p) {
        pending.delete(key)
        clearTimeout(p.timer)
        if (msg.type === 'error') p.reject(new StreamError(String(msg.code), String(msg.message ?? '')))
        else p.resolve(msg)
        return
      }
      // A reply nobody waits for any more (timed out): ignore it, unless it
      // is an events_expired notice of a subscribe.
      if (!(msg.type === 'error' && msg.code === 'events_expired')) return
    }
    if (isTaskEvent(msg)) {
      applyEvent(msg)
      return
    }
    switch (msg.type) {
      case 'hello':
        onHello(msg)
        break
      case 'heartbeat':
      case 'pong':
        break
      case 'tools_changed':
        if (Array.isArray(msg.tools)) tools.value = msg.tools
        break
      case 'shutdown':
        connection.lastError = `server shutting down (grace ${msg.grace_ms} ms)`
        break
      case 'error':
        if (msg.code === 'events_expired' && typeof msg.task_id === 'string')
          ensureTask(msg.task_id).notice = 'some early events expired and are not shown'
        else connection.lastError = `${msg.code}: ${msg.message ?? ''}`
        break
    }
  }

  function request(msg: Record<string, unknown>): Promise<any> {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== WS_OPEN || !helloSeen) {
        reject(new StreamError('not_connected', 'not connected to the server'))
        return
      }
      const id = `c${nextId++}`
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new StreamError('timeout', `no reply to ${String(msg.type)} within ${requestTimeoutMs} ms`))
      }, requestTimeoutMs)
      pending.set(id, { resolve, reject, timer })
      try {
        ws.send(JSON.stringify({ ...msg, id }))
      } catch (e) {
        pending.delete(id)
        clearTimeout(timer)
        reject(new StreamError('connection_lost', String(e)))
      }
    })
  }

  // ---------------------------------------------------------------- HTTP + SSE

  interface SseStream {
    es: EventSourceLike | null
    retry: ReturnType<typeof setTimeout> | null
    stable: ReturnType<typeof setTimeout> | null
    attempt: number
    opened: boolean
  }
  const streams = new Map<string, SseStream>()

  async function http(method: string, path: string, body?: unknown): Promise<any> {
    if (!doFetch) throw new StreamError('not_connected', 'no fetch implementation')
    const ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null
    let timedOut = false
    let timer: ReturnType<typeof setTimeout> | null = null
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true
        ctrl?.abort()
        reject(new StreamError('timeout', `no reply to ${method} ${path} within ${requestTimeoutMs} ms`))
      }, requestTimeoutMs)
    })
    try {
      const res = await Promise.race([
        doFetch(base + path, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: ctrl?.signal,
        }),
        timeout,
      ])
      const text = await Promise.race([res.text(), timeout])
      let data: any = null
      if (text) {
        try {
          data = JSON.parse(text)
        } catch {
          throw new StreamError('bad_json', `the server answered ${res.status} with non-JSON`)
        }
      }
      if (!res.ok) {
        throw new StreamError(
          String(data?.code ?? `http_${res.status}`),
          String(data?.message ?? res.statusText ?? `HTTP ${res.status}`),
        )
      }
      return data
    } catch (e) {
      if (e instanceof StreamError) throw e
      if (timedOut) throw new StreamError('timeout', `no reply to ${method} ${path} within ${requestTimeoutMs} ms`)
      throw new StreamError('connection_lost', String(e))
    } finally {
      if (timer !== null) clearTimeout(timer)
    }
  }

  function updateSseStatus() {
    if (stopped) return
    let retrying = false
    for (const s of streams.values()) if (s.retry !== null) retrying = true
    connection.status = retrying ? 'reconnecting' : 'open'
    if (!retrying) connection.nextRetryMs = null
  }

  function openStream(id: string) {
    if (!ES) throw new Error('no EventSource implementation')
    const t = ensureTask(id)
    let s = streams.get(id)
    if (!s) {
      s = { es: null, retry: null, stable: null, attempt: 0, opened: false }
      streams.set(id, s)
    }
    const st = s
    st.retry = clearTimer(st.retry)
    if (st.es) return
    const es = new ES(
      `${base}/api/tasks/${encodeURIComponent(id)}/events?after=${t.lastSeq}&coalesce=${COALESCE}${tokenQuery ? '&' + tokenQuery : ''}`,
    )
    st.es = es
    const handle = (e: { data?: unknown; type?: string }) => {
      if (st.es !== es || typeof e.data !== 'string') return
      let msg: any
      try {
        msg = JSON.parse(e.data)
      } catch {
        return
      }
      if (isTaskEvent(msg)) {
        applyEvent(msg)
        if (isTerminal(t)) closeStream(id)
      } else if (msg?.type === 'error' && msg.code === 'events_expired') {
        t.notice = 'some early events expired and are not shown'
      } else if (e.type === 'snapshot' || (msg && msg.task_id === id && msg.state)) {
        applySnapshot(msg)
        if (isTerminal(t)) closeStream(id)
      }
    }
    for (const type of TASK_EVENT_TYPES) if (type !== 'error') es.addEventListener(type, handle)
    es.addEventListener('snapshot', handle)
    es.addEventListener('error', (e: { data?: unknown; type?: string }) => {
      if (st.es !== es) return
      if (typeof e.data === 'string' && e.data) {
        handle(e) // the task's own `error` event
        return
      }
      // The stream broke (or ended). Take over from EventSource's own retry
      // so that our backoff applies and we resume from our last seq.
      es.close()
      st.es = null
      st.stable = clearTimer(st.stable)
      if (stopped || !t.watched || isTerminal(t)) {
        updateSseStatus()
        return
      }
      const delay = backoffDelay(st.attempt, backoff, random)
      st.attempt++
      connection.attempt = st.attempt
      connection.nextRetryMs = delay
      st.retry = setTimeout(() => {
        st.retry = null
        if (!stopped && t.watched) openStream(id)
        updateSseStatus()
      }, delay)
      updateSseStatus()
    })
    es.onopen = () => {
      if (st.es !== es) return
      if (st.opened) connection.reconnects++
      st.opened = true
      st.stable = clearTimer(st.stable)
      st.stable = setTimeout(() => {
        st.stable = null
        st.attempt = 0
        connection.attempt = 0
      }, backoff.stableMs)
      updateSseStatus()
    }
  }

  function closeStream(id: string) {
    const s = streams.get(id)
    if (!s) return
    s.es?.close()
    s.es = null
    s.retry = clearTimer(s.retry)
    s.stable = clearTimer(s.stable)
    streams.delete(id)
    updateSseStatus()
  }

  // ---------------------------------------------------------------- public API

  function connect() {
    if (!stopped) return
    stopped = false
    connection.lastError = ''
    if (kind === 'ws') {
      openSocket()
    } else {
      connection.status = 'open'
      for (const t of Object.values(tasks)) if (t.watched && !isTerminal(t)) openStream(t.id)
    }
  }

  /** Closes everything with 1000; nothing reconnects until connect(). */
  function disconnect() {
    stopped = true
    reconnectTimer = clearTimer(reconnectTimer)
    watchdogTimer = clearTimer(watchdogTimer)
    stableTimer = clearTimer(stableTimer)
    if (ws) {
      const sock = ws
      dropSocket(sock)
      try {
        sock.close(1000, 'bye')
      } catch {
        /* ignore */
      }
    }
    for (const id of [...streams.keys()]) closeStream(id)
    rejectAll(new StreamError('connection_lost', 'disconnected'))
    connection.status = 'closed'
    connection.nextRetryMs = null
  }

  async function start(task: string, params: Record<string, unknown> = {}): Promise<string> {
    if (kind === 'ws') {
      const reply = await request({ type: 'start', task, params, coalesce: COALESCE })
      const t = ensureTask(String(reply.task_id))
      t.kind = t.kind ?? task
      t.watched = true
      if (t.state === 'unknown') t.state = 'running'
      return t.id
    }
    const reply = await http('POST', '/api/tasks', { task, params })
    const t = ensureTask(String(reply.task_id))
    t.kind = task
    t.state = t.state === 'unknown' ? 'running' : t.state
    watch(t.id)
    return t.id
  }

  async function stop(taskId: string, reason = 'stopped by user'): Promise<string> {
    const reply =
      kind === 'ws'
        ? await request({ type: 'stop', task_id: taskId, reason })
        : await http('POST', `/api/tasks/${encodeURIComponent(taskId)}/stop`, { reason })
    return String(reply?.state ?? '')
  }

  async function input(taskId: string, requestId: string, value: unknown): Promise<void> {
    if (kind === 'ws') await request({ type: 'input', task_id: taskId, request_id: requestId, value })
    else await http('POST', `/api/tasks/${encodeURIComponent(taskId)}/input`, { request_id: requestId, value })
  }

  async function listTools(): Promise<ToolInfo[]> {
    toolsWanted = true
    const reply = kind === 'ws' ? await request({ type: 'list_tools' }) : await http('GET', '/api/tools')
    tools.value = Array.isArray(reply?.tools) ? reply.tools : []
    return tools.value
  }

  /** The task kinds the server runs, with their params schemas. */
  async function listKinds(): Promise<KindInfo[]> {
    const reply = kind === 'ws' ? await request({ type: 'list_kinds' }) : await http('GET', '/api/kinds')
    kinds.value = Array.isArray(reply?.kinds) ? reply.kinds : []
    return kinds.value
  }

  async function callTool(tool: string, args: Record<string, unknown>): Promise<unknown> {
    const callId = `ui-${Date.now().toString(36)}-${nextId++}`
    const reply =
      kind === 'ws'
        ? await request({ type: 'call_tool', call_id: callId, tool, args })
        : await http('POST', `/api/tools/${encodeURIComponent(tool)}/call`, { call_id: callId, args })
    return reply?.result
  }

  async function listTasks(): Promise<TaskSummary[]> {
    const reply = kind === 'ws' ? await request({ type: 'list_tasks' }) : await http('GET', '/api/tasks')
    return Array.isArray(reply?.tasks) ? reply.tasks : []
  }

  /** Follows a task's events from after the last seq seen. */
  async function watch(taskId: string): Promise<void> {
    const t = ensureTask(taskId)
    if (t.watched && (kind === 'ws' || streams.get(taskId)?.es || isTerminal(t))) return
    t.watched = true
    if (kind === 'ws') {
      if (helloSeen) await subscribeWs(t)
      // Otherwise the next hello subscribes it.
    } else if (!stopped && !isTerminal(t)) {
      openStream(taskId)
    }
  }

  async function unwatch(taskId: string): Promise<void> {
    const t = tasks[taskId]
    if (!t || !t.watched) return
    t.watched = false
    if (kind === 'ws') {
      if (helloSeen) await request({ type: 'unsubscribe', task_id: taskId })
    } else {
      closeStream(taskId)
    }
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
