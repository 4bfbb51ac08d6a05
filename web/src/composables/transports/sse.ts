// The HTTP + SSE transport: commands over the HTTP API (fetch), and one
// EventSource per followed task on /api/tasks/ID/events. A broken stream is
// closed and reopened by this transport with backoff (so the browser's own
// retry never runs), from the last seq the host applied. In browsers the
// EventSource is fetchEventSource.ts (a stream read with fetch, dispatched in
// time slices), not the browser's own: see useAgentStream.

import {
  COALESCE,
  TASK_EVENT_TYPES,
  isRecord,
  isTaskEvent,
  listOf,
  replyField,
  type ErrorMessage,
  type KindInfo,
  type KindsMessage,
  type SnapshotLike,
  type StartSuccess,
  taskListQuery,
  taskPageOf,
  type StopSuccess,
  type TaskPage,
  type ToolInfo,
  type ToolResultMessage,
  type ToolsMessage,
} from '../../protocol'
import {
  StreamError,
  backoffDelay,
  clearTimer,
  newCallId,
  statusOf,
  tokenQuery,
  type EventSourceLike,
  type SseEventLike,
  type Transport,
  type TransportHost,
  type TransportSettings,
} from './transport'

type Timer = ReturnType<typeof setTimeout>

interface SseStream {
  es: EventSourceLike | null
  retry: Timer | null
  stable: Timer | null
  attempt: number
  opened: boolean
}

export function createSseTransport(settings: TransportSettings, host: TransportHost): Transport {
  const { base, token, backoff, random, requestTimeoutMs } = settings
  const ES = settings.EventSource
  const doFetch = settings.fetch
  const query = tokenQuery(token)

  const streams = new Map<string, SseStream>()
  let stopped = true
  let reconnects = 0
  let nextId = 1

  const taskPath = (taskId: string) => `/api/tasks/${encodeURIComponent(taskId)}`

  /** One HTTP command; resolves with the JSON body (null when empty). */
  async function http(method: string, path: string, body?: unknown): Promise<unknown> {
    if (!doFetch) throw new StreamError('not_connected', 'no fetch implementation')
    const ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null
    let timedOut = false
    let timer: Timer | null = null
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
      let data: unknown = null
      if (text) {
        try {
          data = JSON.parse(text)
        } catch {
          throw new StreamError('bad_json', `the server answered ${res.status} with non-JSON`)
        }
      }
      if (!res.ok) {
        throw new StreamError(
          String(replyField<ErrorMessage>(data, 'code') ?? `http_${res.status}`),
          String(replyField<ErrorMessage>(data, 'message') ?? res.statusText ?? `HTTP ${res.status}`),
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

  function updateStatus() {
    if (stopped) return
    let retrying = false
    for (const s of streams.values()) if (s.retry !== null) retrying = true
    host.onState(retrying ? { status: 'reconnecting' } : { status: 'open', nextRetryMs: null })
  }

  /** Opens the task's stream from after seq `after`, unless one is open. */
  function openStream(id: string, after: number) {
    if (!ES) throw new Error('no EventSource implementation')
    let s = streams.get(id)
    if (!s) {
      s = { es: null, retry: null, stable: null, attempt: 0, opened: false }
      streams.set(id, s)
    }
    const st = s
    st.retry = clearTimer(st.retry)
    if (st.es) return
    const es = new ES(
      `${base}${taskPath(id)}/events?after=${after}&coalesce=${COALESCE}${query ? '&' + query : ''}`,
    )
    st.es = es
    let openedNow = false
    const handle = (e: SseEventLike) => {
      if (st.es !== es || typeof e.data !== 'string') return
      let msg: unknown
      try {
        msg = JSON.parse(e.data)
      } catch {
        return
      }
      if (isTaskEvent(msg)) {
        host.onEvent(msg)
        if (host.isTerminal(id)) closeStream(id)
      } else if (isRecord(msg) && msg.type === 'error' && msg.code === 'events_expired') {
        host.onEventsExpired(id)
      } else if (isSnapshot(msg) && (e.type === 'snapshot' || (msg.task_id === id && msg.state))) {
        host.onSnapshot(msg)
        if (host.isTerminal(id)) closeStream(id)
      }
    }
    for (const type of TASK_EVENT_TYPES) if (type !== 'error') es.addEventListener(type, handle)
    es.addEventListener('snapshot', handle)
    es.addEventListener('error', (e) => {
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
      if (stopped || !host.isWatched(id) || host.isTerminal(id)) {
        updateStatus()
        return
      }
      scheduleRetry(id, st)
      if (openedNow) return
      // It never opened: EventSource cannot tell a 404 from a broken
      // network. Ask for the task; an unknown one is never retried.
      http('GET', taskPath(id)).then(
        () => {},
        (err: unknown) => {
          if (streams.get(id) !== st) return
          if (err instanceof StreamError && err.code === 'unknown_task') {
            closeStream(id)
            host.onUnknownTask(id)
          }
        },
      )
    })
    es.onopen = () => {
      if (st.es !== es) return
      openedNow = true
      if (st.opened) host.onState({ reconnects: ++reconnects })
      st.opened = true
      st.stable = clearTimer(st.stable)
      st.stable = setTimeout(() => {
        st.stable = null
        st.attempt = 0
        host.onState({ attempt: 0 })
      }, backoff.stableMs)
      updateStatus()
    }
  }

  /** Reopens the task's stream after backoff, from the last seq applied. */
  function scheduleRetry(id: string, st: SseStream) {
    const delay = backoffDelay(st.attempt, backoff, random)
    st.attempt++
    host.onState({ attempt: st.attempt, nextRetryMs: delay })
    st.retry = setTimeout(() => {
      st.retry = null
      if (!stopped && host.isWatched(id)) openStream(id, host.lastSeq(id))
      updateStatus()
    }, delay)
    updateStatus()
  }

  function closeStream(id: string) {
    const s = streams.get(id)
    if (!s) return
    s.es?.close()
    s.es = null
    s.retry = clearTimer(s.retry)
    s.stable = clearTimer(s.stable)
    streams.delete(id)
    updateStatus()
  }

  return {
    kind: 'sse',
    get running() {
      return !stopped
    },

    // HTTP needs no connection: ready at once.
    connect() {
      if (!stopped) return
      stopped = false
      host.onState({ status: 'open' })
      host.onOpen()
    },

    close() {
      stopped = true
      for (const id of [...streams.keys()]) closeStream(id)
      host.onState({ status: 'closed', nextRetryMs: null })
    },

    async start(task, params) {
      const reply = await http('POST', '/api/tasks', { task, params })
      if (!isRecord(reply)) throw new StreamError('bad_message', 'the server answered start without a task_id')
      return { taskId: String(replyField<StartSuccess>(reply, 'task_id')), subscribed: false }
    },

    async stop(taskId, reason) {
      const reply = await http('POST', `${taskPath(taskId)}/stop`, { reason })
      return String(replyField<StopSuccess>(reply, 'state') ?? '')
    },

    async answer(taskId, requestId, value) {
      await http('POST', `${taskPath(taskId)}/input`, { request_id: requestId, value })
    },

    // Not while closed (connect() resumes it), nor for a task that ended.
    subscribe(taskId, after) {
      if (!stopped && !host.isTerminal(taskId)) openStream(taskId, after)
      return Promise.resolve(undefined)
    },

    unsubscribe(taskId) {
      closeStream(taskId)
      return Promise.resolve()
    },

    following: (taskId) => !!streams.get(taskId)?.es || host.isTerminal(taskId),

    async listTasks(filter): Promise<TaskPage> {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(taskListQuery(filter))) params.set(key, String(value))
      const q = params.toString()
      return taskPageOf(await http('GET', `/api/tasks${q ? '?' + q : ''}`))
    },

    async listTools(): Promise<ToolInfo[]> {
      return listOf<ToolInfo>(replyField<ToolsMessage>(await http('GET', '/api/tools'), 'tools'))
    },

    async listKinds(): Promise<KindInfo[]> {
      return listOf<KindInfo>(replyField<KindsMessage>(await http('GET', '/api/kinds'), 'kinds'))
    },

    async status() {
      return statusOf(await http('GET', '/api/status'))
    },

    async callTool(tool, args) {
      const reply = await http('POST', `/api/tools/${encodeURIComponent(tool)}/call`, {
        call_id: newCallId(nextId++),
        args,
      })
      return replyField<ToolResultMessage>(reply, 'result')
    },
  }
}

/** A snapshot-shaped object: what the reducer can take. */
function isSnapshot(v: unknown): v is SnapshotLike {
  return isRecord(v) && typeof v.task_id === 'string'
}
