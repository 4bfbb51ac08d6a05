// The HTTP + SSE transport on its own, against a fake EventSource and fetch
// and a host that runs the real reducer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSseTransport } from '../../src/composables/transports/sse'
import { StreamError, type FetchLike } from '../../src/composables/transports/transport'
import { FakeEventSource, fakeFetch } from './fakes'
import { fakeHost, testSettings } from './fakeHost'

let http: ReturnType<typeof fakeFetch>

function setup(over: Parameters<typeof testSettings>[0] = {}) {
  const h = fakeHost()
  const t = h.use(createSseTransport(testSettings({ EventSource: FakeEventSource, fetch: http.fn, ...over }), h.host))
  return { ...h, t }
}

/** connect(), then follow `id` as useAgentStream's watch() does. */
function following(id: string) {
  const s = setup()
  s.t.connect()
  s.watch(id)
  s.t.subscribe(id, 0)
  return { ...s, es: FakeEventSource.last }
}

beforeEach(() => {
  FakeEventSource.reset()
  http = fakeFetch()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('HTTP + SSE transport', () => {
  it('is open at once, starts over HTTP with the bearer token, and streams from `after`', async () => {
    const headers: Array<Record<string, string> | undefined> = []
    const spy: FetchLike = (url, init) => {
      headers.push(init?.headers)
      return http.fn(url, init)
    }
    const { t, state, seen } = setup({ token: 's3cr3t t', fetch: spy })
    t.connect()
    expect(state.status).toBe('open')
    expect(seen.opens).toBe(1)
    http.respond('POST', /^\/api\/tasks$/, 201, { type: 'start_success', task_id: 't-1', task: 'audit', events: '/api/tasks/t-1/events' })
    await expect(t.start('audit', { path: '.' })).resolves.toEqual({ taskId: 't-1', subscribed: false })
    expect(http.calls[0]).toMatchObject({ method: 'POST', url: 'http://sb.test:8080/api/tasks', body: { task: 'audit', params: { path: '.' } } })
    expect(headers[0]).toEqual({ 'Content-Type': 'application/json', Authorization: 'Bearer s3cr3t t' })
    expect(FakeEventSource.instances).toHaveLength(0) // start does not follow by itself
    await expect(t.subscribe('t-1', 7)).resolves.toBeUndefined()
    expect(FakeEventSource.last.url).toBe(
      'http://sb.test:8080/api/tasks/t-1/events?after=7&coalesce=progress&access_token=s3cr3t%20t',
    )
    expect(t.following('t-1')).toBe(true)
  })

  it('resumes a broken stream after the last event id it delivered, with backoff', () => {
    vi.useFakeTimers()
    const { t, state, tasks } = following('t-1')
    let es = FakeEventSource.last
    es.open()
    es.event('t-1', 1, 'started', { task: 'ticker', params: {} })
    es.event('t-1', 2, 'progress', { step: 1, total: 4, message: '' })
    es.event('t-1', 3, 'progress', { step: 2, total: 4, message: '' })
    es.fail()
    expect(es.closed).toBe(true) // the browser's own retry never runs
    expect(t.following('t-1')).toBe(false)
    expect(state).toMatchObject({ status: 'reconnecting', attempt: 1, nextRetryMs: 100 })
    vi.advanceTimersByTime(99)
    expect(FakeEventSource.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    es = FakeEventSource.last
    expect(new URL(es.url).searchParams.get('after')).toBe('3') // the Last-Event-ID it saw
    es.fail() // again before it opened: the delay doubles
    expect(state).toMatchObject({ attempt: 2, nextRetryMs: 200 })
    vi.advanceTimersByTime(200)
    es = FakeEventSource.last
    expect(new URL(es.url).searchParams.get('after')).toBe('3')
    es.open()
    expect(state).toMatchObject({ status: 'open', reconnects: 1, nextRetryMs: null })
    es.event('t-1', 3, 'progress', { step: 2, total: 4, message: '' })
    es.event('t-1', 4, 'progress', { step: 3, total: 4, message: '' })
    expect(tasks['t-1'].events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    // Stable for stableMs: the attempt counter starts over.
    vi.advanceTimersByTime(5000)
    expect(state.attempt).toBe(0)
  })

  it('resumes after the snapshot that follows events_expired', () => {
    vi.useFakeTimers()
    const { seen, tasks } = following('t-1')
    let es = FakeEventSource.last
    es.open()
    es.emit('error', { type: 'error', code: 'events_expired', message: 'gone' })
    es.emit('snapshot', { type: 'task', task_id: 't-1', task: 'ticker', state: 'running', last_seq: 40, progress: null, pending_input: null })
    expect(seen.expired).toEqual(['t-1'])
    expect(tasks['t-1'].lastSeq).toBe(40)
    es.fail()
    vi.advanceTimersByTime(100)
    es = FakeEventSource.last
    expect(new URL(es.url).searchParams.get('after')).toBe('40')
  })

  it('closes the stream at the terminal event and does not retry it', () => {
    vi.useFakeTimers()
    const { t, state } = following('t-1')
    const es = FakeEventSource.last
    es.open()
    es.event('t-1', 1, 'started', { task: 'ticker', params: {} })
    es.event('t-1', 2, 'error', { code: 'internal', message: 'boom' }) // the task's own error event
    expect(es.closed).toBe(true)
    es.fail() // the server ends the stream: nobody listens any more
    vi.advanceTimersByTime(60000)
    expect(FakeEventSource.instances).toHaveLength(1)
    expect(state.status).toBe('open')
    // An ended task is not opened again.
    t.subscribe('t-1', 2)
    expect(FakeEventSource.instances).toHaveLength(1)
    expect(t.following('t-1')).toBe(true)
  })

  it('closes a stream that resumed past the end at its terminal snapshot', () => {
    const { seen } = following('t-1')
    const es = FakeEventSource.last
    es.emit('snapshot', { type: 'task', task_id: 't-1', task: 'ticker', state: 'completed', last_seq: 9, result: { steps: 8 } })
    expect(seen.snapshots).toHaveLength(1)
    expect(es.closed).toBe(true)
  })

  it('unsubscribe() and close() cancel a pending retry', () => {
    vi.useFakeTimers()
    const { t, state, tasks, watch } = following('t-1')
    FakeEventSource.last.fail()
    expect(state.status).toBe('reconnecting')
    tasks['t-1'].watched = false
    t.unsubscribe('t-1')
    expect(state).toMatchObject({ status: 'open', nextRetryMs: null })
    vi.advanceTimersByTime(60000)
    expect(FakeEventSource.instances).toHaveLength(1)

    watch('t-2')
    t.subscribe('t-2', 0)
    const es = FakeEventSource.last
    t.close()
    expect(es.closed).toBe(true)
    expect(state).toMatchObject({ status: 'closed', nextRetryMs: null })
    expect(t.running).toBe(false)
    t.subscribe('t-2', 0) // closed: nothing opens until connect()
    expect(FakeEventSource.instances).toHaveLength(2)
    t.connect() // onOpen resumes the watched task
    expect(FakeEventSource.instances).toHaveLength(3)
    expect(FakeEventSource.last.url).toContain('/api/tasks/t-2/events?after=0')
  })

  it('rejects HTTP failures with the protocol error code', async () => {
    const { t } = setup()
    t.connect()
    http.respond('POST', /\/stop$/, 404, { type: 'error', code: 'unknown_task', message: 'no task t-9' })
    const err = await t.stop('t-9', 'enough').catch((e) => e)
    expect(err).toBeInstanceOf(StreamError)
    expect(err).toMatchObject({ code: 'unknown_task', message: 'no task t-9' })
    expect(http.calls[0]).toMatchObject({ url: 'http://sb.test:8080/api/tasks/t-9/stop', body: { reason: 'enough' } })
    http.respond('POST', /\/input$/, 422, { type: 'error', code: 'invalid_input', message: 'not in enum' })
    await expect(t.answer('t-9', 'r-1', 'maybe')).rejects.toMatchObject({ code: 'invalid_input' })
    // No JSON body: the status.
    await expect(t.listKinds()).rejects.toMatchObject({ code: 'http_404', message: 'Not Found' })
  })

  it('tells non-JSON, a lost connection and a timeout apart', async () => {
    vi.useFakeTimers()
    let mode: 'html' | 'down' | 'hang' = 'html'
    const fetch: FetchLike = (url, init) => {
      if (mode === 'html') return Promise.resolve({ ok: true, status: 200, statusText: 'OK', text: () => Promise.resolve('<html>') })
      if (mode === 'down') return Promise.reject(new TypeError('Failed to fetch'))
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))
    }
    const { t } = setup({ fetch })
    await expect(t.listTools()).rejects.toMatchObject({ code: 'bad_json' })
    mode = 'down'
    await expect(t.listTasks()).rejects.toMatchObject({ code: 'connection_lost', message: 'TypeError: Failed to fetch' })
    mode = 'hang'
    const p = t.callTool('fs.hash', { path: 'a' }).catch((e) => e)
    await vi.advanceTimersByTimeAsync(2000)
    expect(await p).toMatchObject({ code: 'timeout' })
  })

  it('sends the history filters as query parameters of GET /api/tasks', async () => {
    const { t } = setup()
    const row = { task_id: 't-3', task: 'ticker', state: 'running', created_ms: 5, last_seq: 2, ended_ms: null, duration_ms: null, node: 'n1' }
    http.respond('GET', /^\/api\/tasks$/, 200, { type: 'tasks', tasks: [row], next_cursor: 'c 2' })
    await expect(t.listTasks({ state: 'running', kind: 'tick&er', since: 10, until: 20, limit: 25, cursor: 'c/1' })).resolves.toEqual({
      tasks: [row],
      nextCursor: 'c 2',
    })
    const url = new URL(http.calls[0].url)
    expect(url.pathname).toBe('/api/tasks')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      state: 'running',
      kind: 'tick&er',
      since: '10',
      until: '20',
      limit: '25',
      cursor: 'c/1',
    })
    await t.listTasks()
    expect(http.calls[1].url).toBe('http://sb.test:8080/api/tasks')
    http.respond('GET', /^\/api\/tasks$/, 400, { type: 'error', code: 'bad_message', message: "field 'state' must list states" })
    await expect(t.listTasks({ state: 'running' })).rejects.toMatchObject({ code: 'bad_message' })
  })

  it('reads the status with GET /api/status', async () => {
    const { t } = setup()
    const body = {
      type: 'status',
      node: 'local',
      server: 'switchboard/0.1.0',
      history: 'sqlite',
      retention_ms: 86400000,
      max_tasks_kept: 500,
      tasks: { running: 0, waiting_input: 2, failed_last_hour: 0 },
      events_total: 77,
      ts: 1700000005000,
      draining: true,
    }
    http.respond('GET', /^\/api\/status$/, 200, body)
    await expect(t.status()).resolves.toEqual(body)
    expect(http.calls[0]).toMatchObject({ method: 'GET', url: 'http://sb.test:8080/api/status' })
    // The memory history has no count limit: null.
    http.respond('GET', /^\/api\/status$/, 200, { ...body, history: 'memory', max_tasks_kept: null })
    await expect(t.status()).resolves.toMatchObject({ history: 'memory', max_tasks_kept: null })
    // A server without the endpoint: 404 with no JSON body.
    http.respond('GET', /^\/api\/status$/, 404, '')
    await expect(t.status()).rejects.toMatchObject({ code: 'http_404' })
  })

  it('lists over GET and calls a tool with a fresh call_id', async () => {
    const { t } = setup()
    http.respond('GET', /^\/api\/tasks$/, 200, { type: 'tasks', tasks: [{ task_id: 't-1', task: 'ticker', state: 'running', created_ms: 1, last_seq: 2 }] })
    http.respond('GET', /^\/api\/kinds$/, 200, { type: 'kinds', kinds: [{ name: 'ticker', description: '', params_schema: {} }] })
    http.respond('POST', /^\/api\/tools\/fs\.hash\/call$/, 200, { type: 'tool_result', call_id: 'x', result: { sha256: 'ab' } })
    await expect(t.listTasks()).resolves.toMatchObject({ tasks: [{ task_id: 't-1' }], nextCursor: null })
    await expect(t.listKinds()).resolves.toEqual([{ name: 'ticker', description: '', params_schema: {} }])
    await expect(t.callTool('fs.hash', { path: 'a' })).resolves.toEqual({ sha256: 'ab' })
    await t.callTool('fs.hash', { path: 'b' })
    const ids = http.calls.filter((c) => c.method === 'POST').map((c) => c.body.call_id)
    expect(ids[0]).toMatch(/^ui-/)
    expect(ids[0]).not.toBe(ids[1])
  })
})
