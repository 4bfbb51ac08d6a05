import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, DEFAULT_BACKOFF, StreamError, useAgentStream } from '../../src/composables/useAgentStream'
import { FakeWebSocket } from './fakes'

function client(opts: Parameters<typeof useAgentStream>[0] = {}) {
  return useAgentStream({
    url: 'http://sb.test:8080',
    WebSocket: FakeWebSocket as any,
    random: () => 1,
    requestTimeoutMs: 2000,
    ...opts,
  })
}

async function flush() {
  await Promise.resolve()
  await Promise.resolve()
}

beforeEach(() => {
  vi.useFakeTimers()
  FakeWebSocket.reset()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const o = { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 1000, jitter: 0 }
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, o))).toEqual([100, 200, 400, 800, 1000, 1000, 1000])
  })
  it('jitters within [d*(1-jitter), d]', () => {
    const o = { ...DEFAULT_BACKOFF, initialMs: 1000, maxMs: 8000, jitter: 0.5 }
    expect(backoffDelay(0, o, () => 0)).toBe(500)
    expect(backoffDelay(0, o, () => 1)).toBe(1000)
    expect(backoffDelay(0, o, () => 0.5)).toBe(750)
    expect(backoffDelay(9, o, () => 1)).toBe(8000)
    expect(backoffDelay(9, o, () => 0)).toBe(4000)
  })
})

describe('useAgentStream over WebSocket', () => {
  it('connects to /ws and is open after hello', () => {
    const c = client()
    expect(FakeWebSocket.last.url).toBe('ws://sb.test:8080/ws')
    expect(c.connection.status).toBe('connecting')
    FakeWebSocket.last.accept(5000)
    expect(c.connection.status).toBe('open')
    expect(c.connection.heartbeatMs).toBe(5000)
    expect(c.connection.sessionId).toBe('s-1')
  })

  it('passes a token as access_token on /ws', () => {
    client({ token: 'abc' })
    expect(FakeWebSocket.last.url).toBe('ws://sb.test:8080/ws?access_token=abc')
  })

  it('correlates replies by id, in any order, and turns errors into StreamError', async () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept()
    const p1 = c.start('audit', { path: '.' })
    const p2 = c.start('nope')
    const p3 = c.listTools()
    const [m1, m2, m3] = ws.sent
    expect(m1).toMatchObject({ type: 'start', task: 'audit', params: { path: '.' }, coalesce: 'progress' })
    expect(new Set([m1.id, m2.id, m3.id]).size).toBe(3)
    ws.receive({ type: 'tools', reply_to: m3.id, tools: [{ name: 'fs.list', description: 'd', schema: {} }] })
    ws.receive({ type: 'error', reply_to: m2.id, code: 'unknown_task_kind', message: 'no kind nope' })
    ws.receive({ type: 'start_success', reply_to: m1.id, task_id: 't-1', task: 'audit' })
    await expect(p1).resolves.toBe('t-1')
    await expect(p2).rejects.toMatchObject({ code: 'unknown_task_kind', message: 'no kind nope' })
    await expect(p3).resolves.toHaveLength(1)
    expect(c.tools.value[0].name).toBe('fs.list')
    expect(c.tasks['t-1'].watched).toBe(true)
  })

  it('times a request out and ignores its late reply', async () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept()
    const p = c.stop('t-9')
    const caught = p.catch((e) => e)
    vi.advanceTimersByTime(1999)
    await flush()
    vi.advanceTimersByTime(1)
    const err = await caught
    expect(err).toBeInstanceOf(StreamError)
    expect(err.code).toBe('timeout')
    // A late reply must not confuse anything.
    ws.reply('stop', { type: 'stop_success', task_id: 't-9', state: 'cancelled' })
    expect(c.connection.status).toBe('open')
  })

  it('rejects commands while not connected and in flight ones when the connection drops', async () => {
    const c = client()
    await expect(c.listTasks()).rejects.toMatchObject({ code: 'not_connected' })
    const ws = FakeWebSocket.last
    ws.accept()
    const p = c.listTasks().catch((e) => e)
    ws.serverClose(1006)
    expect((await p).code).toBe('connection_lost')
  })

  it('reconnects on the capped exponential schedule', () => {
    const c = client({ backoff: { initialMs: 100, maxMs: 1000, jitter: 0.5 } })
    const schedule: number[] = []
    for (let i = 0; i < 7; i++) {
      const before = FakeWebSocket.instances.length
      FakeWebSocket.last.serverClose(1006)
      expect(c.connection.status).toBe('reconnecting')
      const delay = c.connection.nextRetryMs!
      schedule.push(delay)
      vi.advanceTimersByTime(delay - 1)
      expect(FakeWebSocket.instances.length).toBe(before)
      vi.advanceTimersByTime(1)
      expect(FakeWebSocket.instances.length).toBe(before + 1)
    }
    // random() = 1: the top of each jitter range.
    expect(schedule).toEqual([100, 200, 400, 800, 1000, 1000, 1000])
  })

  it('applies jitter from the random source', () => {
    const values = [0, 0.5, 0.25]
    const c = client({ backoff: { initialMs: 1000, maxMs: 10000, jitter: 0.5 }, random: () => values.shift() ?? 0 })
    const delays: number[] = []
    for (let i = 0; i < 3; i++) {
      FakeWebSocket.last.serverClose(1011)
      delays.push(c.connection.nextRetryMs!)
      vi.advanceTimersByTime(c.connection.nextRetryMs!)
    }
    expect(delays).toEqual([500, 1500, 2500])
  })

  it('resets the backoff only after a stable connection', () => {
    const c = client({ backoff: { initialMs: 100, maxMs: 10000, jitter: 0, stableMs: 5000 } })
    FakeWebSocket.last.serverClose(1006) // 100
    vi.advanceTimersByTime(100)
    FakeWebSocket.last.serverClose(1006) // 200
    vi.advanceTimersByTime(200)
    // Connects, but drops before it is stable: keeps growing.
    FakeWebSocket.last.accept()
    vi.advanceTimersByTime(4999)
    FakeWebSocket.last.serverClose(1006)
    expect(c.connection.nextRetryMs).toBe(400)
    vi.advanceTimersByTime(400)
    // Stable this time: starts over.
    FakeWebSocket.last.accept()
    vi.advanceTimersByTime(5000)
    expect(c.connection.attempt).toBe(0)
    FakeWebSocket.last.serverClose(1001)
    expect(c.connection.nextRetryMs).toBe(100)
  })

  it.each([1000, 1008])('does not reconnect after close code %i', (code) => {
    const c = client()
    FakeWebSocket.last.accept()
    FakeWebSocket.last.serverClose(code, 'bye')
    expect(c.connection.status).toBe('closed')
    expect(c.connection.lastClose).toEqual({ code, reason: 'bye' })
    vi.advanceTimersByTime(120000)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it.each([1001, 1006, 1011, 1013])('reconnects after close code %i', (code) => {
    const c = client()
    FakeWebSocket.last.accept()
    FakeWebSocket.last.serverClose(code)
    expect(c.connection.status).toBe('reconnecting')
    vi.advanceTimersByTime(c.connection.nextRetryMs!)
    expect(FakeWebSocket.instances).toHaveLength(2)
    FakeWebSocket.last.accept()
    expect(c.connection.status).toBe('open')
    expect(c.connection.reconnects).toBe(1)
  })

  it('disconnect() closes with 1000 and stays closed', () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept()
    c.disconnect()
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'bye' })
    expect(c.connection.status).toBe('closed')
    vi.advanceTimersByTime(60000)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it('drops a silent connection after three heartbeats and reconnects', () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept(1000)
    vi.advanceTimersByTime(2500)
    ws.receive({ type: 'heartbeat', ts: 1 }) // resets the watchdog
    vi.advanceTimersByTime(2999)
    expect(ws.closedWith).toBeNull()
    vi.advanceTimersByTime(1)
    expect(ws.closedWith?.code).toBe(4000)
    expect(c.connection.status).toBe('reconnecting')
    expect(c.connection.lastError).toMatch(/no message from the server for 3000 ms/)
    // A late close event of the dead socket changes nothing.
    ws.serverClose(1006)
    vi.advanceTimersByTime(c.connection.nextRetryMs!)
    expect(FakeWebSocket.instances).toHaveLength(2)
  })

  it('any server message feeds the watchdog', () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept(1000)
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(2000)
      ws.event('t-1', i + 1, 'log', { level: 'info', message: 'x' })
    }
    expect(ws.closedWith).toBeNull()
    expect(c.connection.status).toBe('open')
  })

  it('resumes watched tasks by seq after a reconnect and shows every event once', async () => {
    const c = client()
    let ws = FakeWebSocket.last
    ws.accept()
    const started = c.start('ticker', { steps: 5 })
    ws.reply('start', { type: 'start_success', task_id: 't-1', task: 'ticker' })
    await started
    ws.event('t-1', 1, 'started', { task: 'ticker', params: { steps: 5 } })
    ws.event('t-1', 2, 'progress', { step: 1, total: 5, message: '' })
    ws.event('t-1', 3, 'progress', { step: 2, total: 5, message: '' })
    ws.serverClose(1006)
    vi.advanceTimersByTime(c.connection.nextRetryMs!)
    ws = FakeWebSocket.last
    ws.accept()
    const sub = ws.lastSent('subscribe')
    expect(sub).toMatchObject({ type: 'subscribe', task_id: 't-1', after: 3, coalesce: 'progress' })
    ws.reply('subscribe', { type: 'subscribe_success', task_id: 't-1', state: 'running' })
    // A replay that overlaps what was seen (e.g. a server resending from an
    // older seq) must not duplicate anything.
    ws.event('t-1', 2, 'progress', { step: 1, total: 5, message: '' })
    ws.event('t-1', 3, 'progress', { step: 2, total: 5, message: '' })
    ws.event('t-1', 4, 'progress', { step: 3, total: 5, message: '' })
    ws.event('t-1', 4, 'progress', { step: 3, total: 5, message: '' })
    ws.event('t-1', 5, 'result', { data: { steps: 5 } })
    const t = c.tasks['t-1']
    expect(t.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(t.state).toBe('completed')
    expect(t.progress?.step).toBe(3)
    expect(c.connection.duplicatesDropped).toBe(3)
  })

  it('does not resubscribe finished or unwatched tasks', async () => {
    const c = client()
    let ws = FakeWebSocket.last
    ws.accept()
    ws.event('t-1', 1, 'started', { task: 'ticker', params: {} })
    ws.event('t-1', 2, 'result', { data: {} })
    ws.event('t-2', 1, 'started', { task: 'ticker', params: {} })
    ws.event('t-3', 1, 'started', { task: 'ticker', params: {} })
    const un = c.unwatch('t-3')
    ws.reply('unsubscribe', { type: 'unsubscribe_success', task_id: 't-3' })
    await un
    ws.serverClose(1013)
    vi.advanceTimersByTime(c.connection.nextRetryMs!)
    ws = FakeWebSocket.last
    ws.accept()
    expect(ws.sent.filter((m) => m.type === 'subscribe').map((m) => m.task_id)).toEqual(['t-2'])
  })

  it('watch() subscribes from the last seq seen', async () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept()
    const w = c.watch('t-7')
    expect(ws.lastSent('subscribe')).toMatchObject({ task_id: 't-7', after: 0 })
    ws.reply('subscribe', { type: 'subscribe_success', task_id: 't-7', state: 'waiting_input' })
    await w
    expect(c.tasks['t-7'].state).toBe('waiting_input')
  })

  it('tracks a task through input and its terminal event', () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept()
    ws.event('t-1', 1, 'started', { task: 'triage', params: {} })
    ws.event('t-1', 2, 'input_request', { request_id: 'r-1', prompt: 'Fix?', schema: { type: 'string', enum: ['fix', 'accept'] }, timeout_ms: 1000 })
    const t = c.tasks['t-1']
    expect(t.state).toBe('waiting_input')
    expect(t.pendingInput?.request_id).toBe('r-1')
    ws.event('t-1', 3, 'input_received', { request_id: 'r-1', value: 'fix' })
    expect(t.state).toBe('running')
    expect(t.pendingInput).toBeNull()
    ws.event('t-1', 4, 'error', { code: 'timeout', message: 'nobody answered' })
    expect(t.state).toBe('failed')
    expect(t.error).toEqual({ code: 'timeout', message: 'nobody answered' })
  })

  it('follows tools_changed', () => {
    const c = client()
    const ws = FakeWebSocket.last
    ws.accept()
    ws.receive({ type: 'tools_changed', tools: [{ name: 'a', description: '', schema: {} }, { name: 'b', description: '', schema: {} }] })
    expect(c.tools.value.map((t) => t.name)).toEqual(['a', 'b'])
  })

  it('relists tools after a reconnect once they were asked for', async () => {
    const c = client()
    let ws = FakeWebSocket.last
    ws.accept()
    const p = c.listTools()
    ws.reply('list_tools', { type: 'tools', tools: [] })
    await p
    ws.serverClose(1001)
    vi.advanceTimersByTime(c.connection.nextRetryMs!)
    ws = FakeWebSocket.last
    ws.accept()
    expect(ws.lastSent('list_tools')).toBeTruthy()
  })
})
