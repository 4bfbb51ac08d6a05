// The WebSocket transport: one socket to /ws carries every command (correlated
// by `id` / `reply_to`) and the events of every task this session watches.
// It reconnects with backoff after a close other than 1000 or 1008, and after
// three silent heartbeat intervals; every hello makes the host resubscribe.

import {
  COALESCE,
  isRecord,
  isServerMessage,
  isTaskEvent,
  isTaskStateName,
  listOf,
  replyField,
  type ClientMessage,
  type HelloMessage,
  type KindInfo,
  type KindsMessage,
  type StartSuccess,
  type StopSuccess,
  taskListQuery,
  taskPageOf,
  type SubscribeSuccess,
  type TaskPage,
  type ToolInfo,
  type ToolResultMessage,
  type ToolsMessage,
} from '../../protocol'
import { createInbox, sliceClock } from '../frame'
import {
  StreamError,
  backoffDelay,
  clearTimer,
  newCallId,
  statusOf,
  tokenQuery,
  type Transport,
  type TransportHost,
  type TransportSettings,
  type WebSocketLike,
} from './transport'

const WS_OPEN = 1
const NO_RECONNECT_CODES = new Set([1000, 1008])

type Timer = ReturnType<typeof setTimeout>

interface Pending {
  resolve: (reply: unknown) => void
  reject: (e: StreamError) => void
  timer: Timer
}

export function createWsTransport(settings: TransportSettings, host: TransportHost): Transport {
  const { backoff, random, requestTimeoutMs } = settings
  const WS = settings.WebSocket
  const query = tokenQuery(settings.token)
  const url = settings.base.replace(/^http/, 'ws') + '/ws' + (query ? `?${query}` : '')

  let ws: WebSocketLike | null = null
  let stopped = true
  let helloSeen = false
  let everOpened = false
  let heartbeatMs = settings.defaultHeartbeatMs
  let attempt = 0
  let reconnects = 0
  let toolsWanted = false
  let nextId = 1
  let reconnectTimer: Timer | null = null
  let watchdogTimer: Timer | null = null
  let stableTimer: Timer | null = null
  const pending = new Map<string, Pending>()
  // A browser dispatches every message of a network read in one task: a
  // backlog of thousands of events is parsed and applied in slices instead,
  // in order (a close waits behind the frames that came before it).
  const sliceMs = settings.sliceMs ?? 0
  const inbox = createInbox(sliceMs > 0 && Number.isFinite(sliceMs) ? sliceClock(sliceMs) : null)

  function armWatchdog() {
    watchdogTimer = clearTimer(watchdogTimer)
    // Before hello, allow the normal reply time; after it, 3 heartbeats.
    const limit = helloSeen ? 3 * heartbeatMs : Math.max(requestTimeoutMs, 3 * heartbeatMs)
    watchdogTimer = setTimeout(() => {
      watchdogTimer = null
      host.onError(`no message from the server for ${limit} ms; reconnecting`)
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
    host.onState({ nextRetryMs: null, status: everOpened ? 'reconnecting' : 'connecting' })
    helloSeen = false
    let sock: WebSocketLike
    try {
      sock = new WS(url)
    } catch (e) {
      host.onError(String(e))
      scheduleReconnect()
      return
    }
    ws = sock
    sock.onopen = () => armWatchdog()
    sock.onmessage = (e) => {
      const data = e.data
      inbox.run(() => {
        if (ws === sock) onFrame(data)
      })
    }
    sock.onclose = (e) => {
      sock.onmessage = null
      inbox.run(() => {
        if (ws !== sock) return
        dropSocket(sock)
        onSocketGone(e.code, e.reason)
      })
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
    host.onState({ lastClose: { code, reason } })
    rejectAll(new StreamError('connection_lost', `connection closed (${code}${reason ? ' ' + reason : ''})`))
    if (stopped || NO_RECONNECT_CODES.has(code)) {
      stopped = true
      host.onState({ status: 'closed' })
      return
    }
    scheduleReconnect()
  }

  function scheduleReconnect() {
    const delay = backoffDelay(attempt, backoff, random)
    attempt++
    host.onState({ attempt, status: 'reconnecting', nextRetryMs: delay })
    reconnectTimer = clearTimer(reconnectTimer)
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null
      if (!stopped) openSocket()
    }, delay)
  }

  function onHello(msg: HelloMessage) {
    helloSeen = true
    if (typeof msg.heartbeat_ms === 'number' && msg.heartbeat_ms > 0) heartbeatMs = msg.heartbeat_ms
    if (everOpened) reconnects++
    everOpened = true
    const sessionId = String(msg.session_id ?? '')
    host.onState({ sessionId, heartbeatMs, status: 'open', nextRetryMs: null, reconnects })
    stableTimer = clearTimer(stableTimer)
    stableTimer = setTimeout(() => {
      stableTimer = null
      attempt = 0
      host.onState({ attempt })
    }, backoff.stableMs)
    armWatchdog()
    // The host resumes every watched task after the last seq it applied.
    host.onOpen()
    if (toolsWanted) listTools().then(host.onTools, () => {})
  }

  function onFrame(data: unknown) {
    if (typeof data !== 'string') return
    let msg: unknown
    try {
      msg = JSON.parse(data)
    } catch {
      return
    }
    if (!msg || typeof msg !== 'object') return
    armWatchdog()
    if (!isRecord(msg)) return
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
      host.onEvent(msg)
      return
    }
    if (!isServerMessage(msg)) return
    switch (msg.type) {
      case 'hello':
        onHello(msg)
        break
      case 'heartbeat':
      case 'pong':
        break
      case 'tools_changed':
        if (Array.isArray(msg.tools)) host.onTools(msg.tools)
        break
      case 'shutdown':
        host.onError(`server shutting down (grace ${msg.grace_ms} ms)`)
        break
      case 'error':
        if (msg.code === 'events_expired' && typeof msg.task_id === 'string') host.onEventsExpired(msg.task_id)
        else host.onError(`${msg.code}: ${msg.message ?? ''}`)
        break
    }
  }

  /** Sends a command; resolves with its reply, rejects with its error. */
  function request(msg: ClientMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== WS_OPEN || !helloSeen) {
        reject(new StreamError('not_connected', 'not connected to the server'))
        return
      }
      const id = `c${nextId++}`
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new StreamError('timeout', `no reply to ${msg.type} within ${requestTimeoutMs} ms`))
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

  async function listTools(): Promise<ToolInfo[]> {
    toolsWanted = true
    const reply = await request({ type: 'list_tools' })
    return listOf<ToolInfo>(replyField<ToolsMessage>(reply, 'tools'))
  }

  return {
    kind: 'ws',
    get running() {
      return !stopped
    },

    connect() {
      if (!stopped) return
      stopped = false
      openSocket()
    },

    close() {
      stopped = true
      inbox.clear()
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
      rejectAll(new StreamError('connection_lost', 'disconnected'))
      host.onState({ status: 'closed', nextRetryMs: null })
    },

    async start(task, params) {
      const reply = await request({ type: 'start', task, params, coalesce: COALESCE })
      return { taskId: String(replyField<StartSuccess>(reply, 'task_id')), subscribed: true }
    },

    async stop(taskId, reason) {
      const reply = await request({ type: 'stop', task_id: taskId, reason })
      return String(replyField<StopSuccess>(reply, 'state') ?? '')
    },

    async answer(taskId, requestId, value) {
      await request({ type: 'input', task_id: taskId, request_id: requestId, value })
    },

    subscribe(taskId, after) {
      // Before hello, the next hello subscribes it.
      if (!helloSeen) return Promise.resolve(undefined)
      return request({ type: 'subscribe', task_id: taskId, after, coalesce: COALESCE }).then((reply) => {
        const state = replyField<SubscribeSuccess>(reply, 'state')
        return isTaskStateName(state) ? state : undefined
      })
    },

    async unsubscribe(taskId) {
      if (helloSeen) await request({ type: 'unsubscribe', task_id: taskId })
    },

    // The session keeps every subscription, and each hello renews them.
    following: () => true,

    async listTasks(filter): Promise<TaskPage> {
      return taskPageOf(await request({ type: 'list_tasks', ...taskListQuery(filter) }))
    },

    listTools,

    async listKinds(): Promise<KindInfo[]> {
      const reply = await request({ type: 'list_kinds' })
      return listOf<KindInfo>(replyField<KindsMessage>(reply, 'kinds'))
    },

    async status() {
      return statusOf(await request({ type: 'get_status' }))
    },

    async callTool(tool, args) {
      const reply = await request({ type: 'call_tool', call_id: newCallId(nextId++), tool, args })
      return replyField<ToolResultMessage>(reply, 'result')
    },
  }
}
