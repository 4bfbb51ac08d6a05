// useAgentStream: the browser client of the Switchboard protocol.
//
// One API over two transports (transports/): 'ws', one WebSocket to /ws for
// commands and the events of every watched task; 'sse', commands over the
// HTTP API and one EventSource per watched task. Per task it keeps reactive
// state built by the reducer (taskState.ts) from the task's events. Events are
// applied strictly by seq: an event whose seq is not above the last one seen
// is dropped, so replays after a reconnect never show twice.
//
// Events are reduced as the transport hands them over, on the plain objects
// behind the reactive state (so seq order, duplicates and what the transports
// ask are exact at every moment), but Vue is told of them once per animation
// frame (frame.ts): a task sending thousands of events a second costs one
// render a frame. A burst (a backlog of thousands of events in one network
// read) is parsed and reduced in slices of SLICE_MS, the main thread given
// back between them: the WebSocket transport queues its frames (frame.ts
// createInbox), the SSE one reads its streams with fetch instead of the
// browser's EventSource (transports/fetchEventSource.ts). The log of a task
// keeps its last MAX_EVENTS events.

import { getCurrentScope, markRaw, onScopeDispose, reactive, ref, toRaw, type Ref } from 'vue'
import type { KindInfo, StatusMessage, TaskEvent, TaskListFilter, TaskPage, ToolInfo } from '../protocol'
import { SLICE_MS, requestFrame as defaultRequestFrame, type RequestFrame } from './frame'
import * as reducer from './taskState'
import type { TaskView } from './taskState'
import { canStreamFetch, fetchEventSource, type StreamFetch } from './transports/fetchEventSource'
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
export type { RequestFrame } from './frame'

/** The most events a task's log keeps; older ones are let go (counted in
 * TaskView.droppedEvents). */
export const MAX_EVENTS = 100_000

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
  /** How events wait for the next frame (default requestAnimationFrame). */
  requestFrame?: RequestFrame
  /** The most events a task's log keeps (default MAX_EVENTS). */
  maxEvents?: number
  /** Incoming frames are handled in slices of this many ms, the main thread
   * given back between them (default SLICE_MS with the browser's own
   * WebSocket, 0 with an injected one: each frame at once, as it comes). */
  sliceMs?: number
}

/** A task's fields as Vue last saw them, and how many events it had then. */
interface Unseen {
  fields: Omit<TaskView, 'events'>
  eventCount: number
}

/** Largest run of events pushed with one call (spread arguments are bounded). */
const PUSH_CHUNK = 8192

const EXPIRED_NOTICE = 'some early events expired and are not shown'
export const UNKNOWN_NOTICE = 'This task is unknown to the server or its history was deleted'

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

  const requestFrame = options.requestFrame ?? defaultRequestFrame
  const maxEvents = Math.max(1, options.maxEvents ?? MAX_EVENTS)
  /** Tasks changed since the last frame, as Vue last saw them. */
  const unseen = new Map<string, Unseen>()
  let cancelFrame: (() => void) | null = null

  /** Applies one task event; returns false when it was a duplicate. The
   * event is in the task's state at once; Vue hears of it at the next frame. */
  function applyEvent(ev: TaskEvent): boolean {
    // Events never change once sent: no deep reactivity for them.
    const event = markRaw(ev)
    const known = tasks[ev.task_id]
    let applied: boolean
    if (!known) {
      // The first of a task this client did not know: reactive at once.
      applied = reducer.applyEvent(tasks, event)
    } else {
      const raw = toRaw(known)
      if (!unseen.has(raw.id)) {
        const { events, ...fields } = raw
        unseen.set(raw.id, { fields, eventCount: events.length })
      }
      applied = reducer.applyEvent(toRaw(tasks), event)
      if (applied && cancelFrame === null) cancelFrame = requestFrame(flushEvents)
    }
    if (!applied) connection.duplicatesDropped++
    return applied
  }

  /** Tells Vue of every event applied since the last frame: each changed
   * field is set again through the reactive proxy, the new events pushed in
   * one go, and the oldest past maxEvents let go. */
  function flushEvents() {
    cancelFrame?.()
    cancelFrame = null
    for (const [id, before] of unseen) {
      const view = tasks[id]
      if (!view) continue
      const raw = toRaw(view)
      const fields = before.fields as unknown as Record<string, unknown>
      const rawFields = raw as unknown as Record<string, unknown>
      const viewFields = view as unknown as Record<string, unknown>
      for (const key of Object.keys(fields)) {
        const now = rawFields[key]
        if (Object.is(now, fields[key])) continue
        rawFields[key] = fields[key] // as Vue saw it, so that setting it again tells Vue
        viewFields[key] = now
      }
      let added = raw.events.splice(before.eventCount)
      const over = raw.events.length + added.length - maxEvents
      if (over > 0) {
        const fromOld = Math.min(over, raw.events.length)
        raw.events.splice(0, fromOld) // before the push below tells Vue of the new length
        if (over > fromOld) added = added.slice(over - fromOld)
        view.droppedEvents += over
      }
      // All but the last onto the plain array, the last through the proxy:
      // Vue hears of the new length once, not of each new index.
      const last = added.length - 1
      for (let i = 0; i < last; i += PUSH_CHUNK) raw.events.push(...added.slice(i, Math.min(last, i + PUSH_CHUNK)))
      if (last >= 0) view.events.push(added[last])
    }
    unseen.clear()
  }

  const host: TransportHost = {
    onEvent: applyEvent,
    onSnapshot: (s) => {
      flushEvents()
      reducer.applySnapshot(tasks, s)
    },
    onEventsExpired: (id) => {
      ensureTask(id).notice = EXPIRED_NOTICE
    },
    onState: (patch) => {
      Object.assign(connection, patch)
    },
    onError: (message) => {
      connection.lastError = message
    },
    onUnknownTask: (id) => markUnknown(ensureTask(id)),
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
      // A browser's EventSource dispatches a whole network read in one task
      // (hundreds of ms for a backlog): streams are read with fetch instead,
      // in time slices (transports/fetchEventSource.ts).
      EventSource:
        options.EventSource ??
        (canStreamFetch() ? fetchEventSource(globals.fetch!.bind(globalThis) as unknown as StreamFetch) : globals.EventSource),
      fetch: options.fetch ?? globals.fetch?.bind(globalThis),
      sliceMs: options.sliceMs ?? (options.WebSocket ? 0 : SLICE_MS),
    },
    host,
  )

  /** The server does not know the task: say so, and stop following it. */
  function markUnknown(t: TaskView) {
    t.notice = UNKNOWN_NOTICE
    t.missing = true
    t.watched = false
  }

  /** Subscribes a task after its last seq; takes the state the server tells. */
  function follow(t: TaskView): Promise<void> {
    return transport.subscribe(t.id, t.lastSeq).then(
      (state) => {
        if (t.state === 'unknown' && state) t.state = state
      },
      (err: unknown) => {
        // Not an error to report: the task view says so, and nothing retries.
        if (err instanceof StreamError && err.code === 'unknown_task') markUnknown(t)
        else throw err
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
    flushEvents()
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

  /** The node at a glance: task counts, events so far, retention, draining. */
  async function status(): Promise<StatusMessage> {
    return transport.status()
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
    status,
    watch,
    unwatch,
    /** For tests and tools: feed an event as if it came from the server. */
    applyEvent,
    /** Tells Vue now of the events waiting for the next frame. */
    flushEvents,
  }
}

export type AgentStream = ReturnType<typeof useAgentStream>
