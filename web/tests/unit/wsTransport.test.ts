// The WebSocket transport on its own, against a fake socket and a host that
// runs the real reducer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { StreamError } from '../../src/composables/transports/transport'
import { createWsTransport } from '../../src/composables/transports/ws'
import { FakeWebSocket } from './fakes'
import { fakeHost, testSettings } from './fakeHost'

function setup(token = '') {
  const h = fakeHost()
  const t = h.use(createWsTransport(testSettings({ token, WebSocket: FakeWebSocket }), h.host))
  return { ...h, t }
}

async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

beforeEach(() => {
  vi.useFakeTimers()
  FakeWebSocket.reset()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('WebSocket transport', () => {
  it('connects with the token and sends nothing before hello', async () => {
    const { t, state, seen } = setup('a b')
    expect(t.kind).toBe('ws')
    expect(t.running).toBe(false)
    t.connect()
    expect(t.running).toBe(true)
    const ws = FakeWebSocket.last
    expect(ws.url).toBe('ws://sb.test:8080/ws?access_token=a%20b')
    expect(state.status).toBe('connecting')
    ws.open()
    await expect(t.listTasks()).rejects.toMatchObject({ code: 'not_connected' })
    // subscribe() before hello waits for the next hello instead.
    await expect(t.subscribe('t-1', 4)).resolves.toBeUndefined()
    await expect(t.unsubscribe('t-1')).resolves.toBeUndefined()
    expect(ws.sent).toEqual([])
    expect(seen.opens).toBe(0)
    ws.hello(5000)
    expect(state).toMatchObject({ status: 'open', heartbeatMs: 5000, sessionId: 's-1', nextRetryMs: null })
    expect(seen.opens).toBe(1)
  })

  it('answers each reply by its id, in any order', async () => {
    const { t } = setup()
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    const tasks = t.listTasks()
    const stop = t.stop('t-1', 'enough')
    const call = t.callTool('fs.hash', { path: 'a' })
    const started = t.start('ticker', { steps: 2 })
    const [m1, m2, m3, m4] = ws.sent
    expect(m1).toMatchObject({ type: 'list_tasks' })
    expect(m2).toMatchObject({ type: 'stop', task_id: 't-1', reason: 'enough' })
    expect(m3).toMatchObject({ type: 'call_tool', tool: 'fs.hash', args: { path: 'a' } })
    expect(m3.call_id).toMatch(/^ui-/)
    expect(m4).toMatchObject({ type: 'start', task: 'ticker', params: { steps: 2 }, coalesce: 'progress' })
    expect(new Set(ws.sent.map((m) => m.id)).size).toBe(4)
    ws.receive({ type: 'start_success', reply_to: m4.id, task_id: 't-2', task: 'ticker', events: '/api/tasks/t-2/events' })
    ws.receive({ type: 'tool_result', reply_to: m3.id, call_id: m3.call_id, result: { sha256: 'ab' } })
    ws.receive({ type: 'stop_success', reply_to: m2.id, task_id: 't-1', state: 'cancelled' })
    ws.receive({ type: 'tasks', reply_to: m1.id, tasks: [{ task_id: 't-1', task: 'ticker', state: 'cancelled', created_ms: 1, last_seq: 3 }] })
    await expect(started).resolves.toEqual({ taskId: 't-2', subscribed: true })
    await expect(call).resolves.toEqual({ sha256: 'ab' })
    await expect(stop).resolves.toBe('cancelled')
    await expect(tasks).resolves.toEqual({
      tasks: [{ task_id: 't-1', task: 'ticker', state: 'cancelled', created_ms: 1, last_seq: 3 }],
      nextCursor: null,
    })
  })

  it('sends the history filters as list_tasks fields and returns the page with its cursor', async () => {
    const { t } = setup()
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    const first = t.listTasks({ state: ['completed', 'failed'], kind: 'audit', since: 1000, until: 2000.7, limit: 5000 })
    expect(ws.lastSent('list_tasks')).toEqual({
      type: 'list_tasks',
      id: ws.lastSent('list_tasks').id,
      state: 'completed,failed',
      kind: 'audit',
      since: 1000,
      until: 2000,
      limit: 1000,
    })
    const row = { task_id: 't-9', task: 'audit', state: 'failed', created_ms: 1500, last_seq: 4, ended_ms: 1600, duration_ms: 100, node: 'local' }
    ws.reply('list_tasks', { type: 'tasks', tasks: [row], next_cursor: '9' })
    await expect(first).resolves.toEqual({ tasks: [row], nextCursor: '9' })

    // Empty filter fields are left out; the cursor goes as it came.
    const next = t.listTasks({ state: [], kind: '', cursor: '9', limit: 50 })
    expect(ws.lastSent('list_tasks')).toEqual({ type: 'list_tasks', id: ws.lastSent('list_tasks').id, cursor: '9', limit: 50 })
    ws.reply('list_tasks', { type: 'tasks', tasks: [] })
    await expect(next).resolves.toEqual({ tasks: [], nextCursor: null })
  })

  it('rejects only the command an error replies to, with its code', async () => {
    const { t, seen } = setup()
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    const answer = t.answer('t-1', 'r-1', 'fix')
    const kinds = t.listKinds()
    ws.reply('input', { type: 'error', code: 'no_pending_input', message: 'nothing pending' })
    const err = await answer.catch((e) => e)
    expect(err).toBeInstanceOf(StreamError)
    expect(err).toMatchObject({ code: 'no_pending_input', message: 'nothing pending' })
    // An error with no reply_to is the connection's, not a command's.
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down' })
    expect(seen.errors).toEqual(['rate_limited: slow down'])
    ws.reply('list_kinds', { type: 'kinds', kinds: [{ name: 'ticker', description: '', params_schema: {} }] })
    await expect(kinds).resolves.toEqual([{ name: 'ticker', description: '', params_schema: {} }])
  })

  it('asks get_status and returns the status; an old server refuses it with its code', async () => {
    const { t } = setup()
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    const status = t.status()
    expect(ws.lastSent('get_status')).toEqual({ type: 'get_status', id: ws.lastSent('get_status').id })
    const body = {
      type: 'status',
      node: 'local',
      server: 'switchboard/0.1.0',
      history: 'memory',
      retention_ms: 604800000,
      max_tasks_kept: 100000,
      tasks: { running: 2, waiting_input: 1, failed_last_hour: 3 },
      events_total: 1234,
      ts: 1700000000000,
      draining: false,
    }
    ws.reply('get_status', body)
    // Without reply_to: the same object GET /api/status answers.
    await expect(status).resolves.toEqual(body)

    // Missing numbers read as 0, never NaN.
    const partial = t.status()
    ws.reply('get_status', { type: 'status', tasks: { running: 'x' }, draining: 1 })
    await expect(partial).resolves.toMatchObject({
      history: 'sqlite',
      retention_ms: 0,
      max_tasks_kept: null,
      tasks: { running: 0, waiting_input: 0, failed_last_hour: 0 },
      events_total: 0,
      draining: false,
    })

    const old = t.status()
    ws.reply('get_status', { type: 'error', code: 'unknown_type', message: "unknown type 'get_status'" })
    await expect(old).rejects.toMatchObject({ code: 'unknown_type' })
    const wrong = t.status()
    ws.reply('get_status', { type: 'pong', ts: 1 })
    await expect(wrong).rejects.toMatchObject({ code: 'bad_message' })
  })

  it('times a command out and drops its late reply', async () => {
    const { t, seen } = setup()
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    const p = t.listTools().catch((e) => e)
    vi.advanceTimersByTime(2000)
    expect(await p).toMatchObject({ code: 'timeout', message: 'no reply to list_tools within 2000 ms' })
    ws.reply('list_tools', { type: 'tools', tools: [] })
    expect(seen.tools).toEqual([])
    expect(seen.errors).toEqual([])
  })

  it('resumes each watched task with `after` = its last applied seq after a reconnect', async () => {
    const { t, state, seen, tasks, watch } = setup()
    t.connect()
    let ws = FakeWebSocket.last
    ws.accept()
    const started = t.start('ticker', {})
    ws.reply('start', { type: 'start_success', task_id: 't-1', task: 'ticker' })
    expect((await started).subscribed).toBe(true)
    watch('t-1')
    ws.event('t-1', 1, 'started', { task: 'ticker', params: {} })
    ws.event('t-1', 2, 'progress', { step: 1, total: 5, message: '' })
    ws.event('t-1', 3, 'progress', { step: 2, total: 5, message: '' })
    ws.event('t-2', 1, 'started', { task: 'ticker', params: {} }) // watched, then ends
    ws.event('t-2', 2, 'result', { data: {} })
    watch('t-3') // watched before any event: resumes from 0
    const inFlight = t.listTasks().catch((e) => e)

    ws.serverClose(1006)
    expect(await inFlight).toMatchObject({ code: 'connection_lost' })
    expect(state).toMatchObject({ status: 'reconnecting', nextRetryMs: 100, attempt: 1, lastClose: { code: 1006, reason: '' } })
    vi.advanceTimersByTime(100)
    ws = FakeWebSocket.last
    expect(FakeWebSocket.instances).toHaveLength(2)
    ws.open()
    expect(ws.sent).toEqual([]) // not before hello
    ws.hello()
    expect(state).toMatchObject({ status: 'open', reconnects: 1 })
    const subs = ws.sent.filter((m) => m.type === 'subscribe')
    expect(subs.map((m) => [m.task_id, m.after, m.coalesce])).toEqual([
      ['t-1', 3, 'progress'],
      ['t-3', 0, 'progress'],
    ])
    ws.receive({ type: 'subscribe_success', reply_to: subs[0].id, task_id: 't-1', state: 'running' })
    ws.receive({ type: 'error', reply_to: subs[1].id, code: 'unknown_task', message: 'no task t-3' })
    const [r1, r3] = await Promise.all(seen.resumed)
    expect(r1).toBe('running')
    expect(r3).toMatchObject({ code: 'unknown_task' })
    // The server replays what it sent before: the host drops it by seq.
    ws.event('t-1', 3, 'progress', { step: 2, total: 5, message: '' })
    ws.event('t-1', 4, 'result', { data: { steps: 5 } })
    expect(tasks['t-1'].events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(tasks['t-1'].state).toBe('completed')
  })

  it('stays closed after close code 1008 until connect()', async () => {
    const { t, state } = setup()
    t.connect()
    FakeWebSocket.last.accept()
    const p = t.listKinds().catch((e) => e)
    FakeWebSocket.last.serverClose(1008, 'unauthorized')
    expect(await p).toMatchObject({ code: 'connection_lost', message: 'connection closed (1008 unauthorized)' })
    expect(state.status).toBe('closed')
    expect(t.running).toBe(false)
    vi.advanceTimersByTime(60000)
    expect(FakeWebSocket.instances).toHaveLength(1)
    t.connect()
    expect(FakeWebSocket.instances).toHaveLength(2)
    expect(state.status).toBe('reconnecting') // it was open once
  })

  it('close() says bye with 1000, rejects what is in flight and never reconnects', async () => {
    const { t, state } = setup()
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    const p = t.stop('t-1', 'x').catch((e) => e)
    t.close()
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'bye' })
    expect(await p).toMatchObject({ code: 'connection_lost', message: 'disconnected' })
    expect(state).toMatchObject({ status: 'closed', nextRetryMs: null })
    vi.advanceTimersByTime(60000)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it('hands events_expired, shutdown and tools_changed to the host, and relists tools after a reconnect', async () => {
    const { t, seen } = setup()
    t.connect()
    let ws = FakeWebSocket.last
    ws.accept()
    // A subscribe's notice arrives with its reply_to, after nobody waits.
    ws.receive({ type: 'error', reply_to: 'c99', code: 'events_expired', message: 'gone', task_id: 't-1' })
    ws.receive({ type: 'shutdown', grace_ms: 5000 })
    ws.receive({ type: 'tools_changed', tools: [{ name: 'a', description: '', schema: {} }] })
    expect(seen.expired).toEqual(['t-1'])
    expect(seen.errors).toEqual(['server shutting down (grace 5000 ms)'])
    expect(seen.tools).toEqual([[{ name: 'a', description: '', schema: {} }]])

    const listed = t.listTools()
    ws.reply('list_tools', { type: 'tools', tools: [{ name: 'b', description: '', schema: {} }] })
    await expect(listed).resolves.toEqual([{ name: 'b', description: '', schema: {} }])
    ws.serverClose(1001)
    vi.advanceTimersByTime(100)
    ws = FakeWebSocket.last
    ws.accept()
    ws.reply('list_tools', { type: 'tools', tools: [{ name: 'c', description: '', schema: {} }] })
    await flush()
    expect(seen.tools.at(-1)).toEqual([{ name: 'c', description: '', schema: {} }])
  })
})
