import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useAgentStream } from '../../src/composables/useAgentStream'
import { FakeEventSource, fakeFetch } from './fakes'

let http: ReturnType<typeof fakeFetch>

function client() {
  return useAgentStream({
    transport: 'sse',
    url: 'http://sb.test:8080',
    EventSource: FakeEventSource as any,
    fetch: http.fn as any,
    random: () => 1,
    requestTimeoutMs: 2000,
    backoff: { initialMs: 100, maxMs: 1000, stableMs: 5000 },
  })
}

beforeEach(() => {
  FakeEventSource.reset()
  http = fakeFetch()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('useAgentStream over HTTP and SSE', () => {
  it('starts a task with POST and streams its events', async () => {
    http.respond('POST', /^\/api\/tasks$/, 201, { task_id: 't-1', events: '/api/tasks/t-1/events' })
    const c = client()
    expect(c.connection.status).toBe('open')
    expect(c.connection.transport).toBe('sse')
    await expect(c.start('audit', { path: '.' })).resolves.toBe('t-1')
    expect(http.calls[0]).toMatchObject({ method: 'POST', url: 'http://sb.test:8080/api/tasks', body: { task: 'audit', params: { path: '.' } } })
    const es = FakeEventSource.last
    expect(es.url).toBe('http://sb.test:8080/api/tasks/t-1/events?after=0&coalesce=progress')
    es.open()
    es.event('t-1', 1, 'started', { task: 'audit', params: {} })
    es.event('t-1', 2, 'progress', { step: 1, total: 2, message: '' })
    es.event('t-1', 3, 'result', { data: { findings: [] } })
    const t = c.tasks['t-1']
    expect(t.events.map((e) => e.type)).toEqual(['started', 'progress', 'result'])
    expect(t.state).toBe('completed')
    expect(es.closed).toBe(true) // closed by the client after the terminal event
  })

  it("tells the task's own error event from a broken stream", async () => {
    const c = client()
    c.watch('t-2')
    const es = FakeEventSource.last
    es.open()
    es.event('t-2', 1, 'started', { task: 'ticker', params: {} })
    es.event('t-2', 2, 'error', { code: 'internal', message: 'boom' })
    expect(c.tasks['t-2'].state).toBe('failed')
    expect(c.tasks['t-2'].error).toEqual({ code: 'internal', message: 'boom' })
    expect(FakeEventSource.instances).toHaveLength(1)
  })

  it('reconnects a broken stream with backoff from the last seq, without duplicates', async () => {
    vi.useFakeTimers()
    const c = client()
    c.watch('t-3')
    let es = FakeEventSource.last
    es.open()
    es.event('t-3', 1, 'started', { task: 'ticker', params: {} })
    es.event('t-3', 2, 'progress', { step: 1, total: 3, message: '' })
    es.fail()
    expect(es.closed).toBe(true) // our backoff, not EventSource's own retry
    expect(c.connection.status).toBe('reconnecting')
    expect(c.connection.nextRetryMs).toBe(100)
    vi.advanceTimersByTime(99)
    expect(FakeEventSource.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    es = FakeEventSource.last
    expect(es.url).toBe('http://sb.test:8080/api/tasks/t-3/events?after=2&coalesce=progress')
    // fails again before opening: the delay doubles
    es.fail()
    expect(c.connection.nextRetryMs).toBe(200)
    vi.advanceTimersByTime(200)
    es = FakeEventSource.last
    es.open()
    expect(c.connection.status).toBe('open')
    expect(c.connection.reconnects).toBe(1)
    es.event('t-3', 2, 'progress', { step: 1, total: 3, message: '' })
    es.event('t-3', 3, 'progress', { step: 2, total: 3, message: '' })
    es.event('t-3', 4, 'stopped', { reason: 'user' })
    expect(c.tasks['t-3'].events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(c.tasks['t-3'].state).toBe('cancelled')
    expect(c.connection.duplicatesDropped).toBe(1)
  })

  it('shows events_expired and applies the snapshot', () => {
    const c = client()
    c.watch('t-4')
    const es = FakeEventSource.last
    es.emit('error', { type: 'error', code: 'events_expired', message: 'gone' })
    es.emit('snapshot', { task_id: 't-4', task: 'ticker', state: 'running', last_seq: 40, progress: { step: 9, total: 10, message: '' } })
    const t = c.tasks['t-4']
    expect(t.notice).toMatch(/expired/)
    expect(t.state).toBe('running')
    expect(t.lastSeq).toBe(40)
    expect(t.progress?.step).toBe(9)
  })

  it('maps HTTP errors to their protocol code', async () => {
    http.respond('POST', /\/input$/, 409, { type: 'error', code: 'no_pending_input', message: 'nothing pending' })
    const c = client()
    await expect(c.input('t-1', 'r-1', 'fix')).rejects.toMatchObject({ code: 'no_pending_input', message: 'nothing pending' })
    expect(http.calls[0]).toMatchObject({ method: 'POST', url: 'http://sb.test:8080/api/tasks/t-1/input', body: { request_id: 'r-1', value: 'fix' } })
  })

  it('times out a request that gets no answer', async () => {
    vi.useFakeTimers()
    http.hang('GET', /^\/api\/tools$/)
    const c = client()
    const p = c.listTools().catch((e) => e)
    await vi.advanceTimersByTimeAsync(2000)
    expect((await p).code).toBe('timeout')
  })

  it('lists tools, calls one and stops a task over HTTP', async () => {
    http.respond('GET', /^\/api\/tools$/, 200, { tools: [{ name: 'fs.hash', description: 'hash', schema: {} }] })
    http.respond('POST', /^\/api\/tools\/fs\.hash\/call$/, 200, { call_id: 'x', result: { sha256: 'ab' } })
    http.respond('POST', /\/stop$/, 200, { type: 'stop_success', task_id: 't-1', state: 'cancelled' })
    const c = client()
    await c.listTools()
    expect(c.tools.value[0].name).toBe('fs.hash')
    await expect(c.callTool('fs.hash', { path: 'a' })).resolves.toEqual({ sha256: 'ab' })
    expect(http.calls[1].body.args).toEqual({ path: 'a' })
    expect(typeof http.calls[1].body.call_id).toBe('string')
    await expect(c.stop('t-1')).resolves.toBe('cancelled')
  })

  it('disconnect() closes every stream and does not retry', () => {
    vi.useFakeTimers()
    const c = client()
    c.watch('t-5')
    const es = FakeEventSource.last
    c.disconnect()
    expect(es.closed).toBe(true)
    vi.advanceTimersByTime(10000)
    expect(FakeEventSource.instances).toHaveLength(1)
    expect(c.connection.status).toBe('closed')
  })

  it('sends a token as a bearer header and on the event stream', async () => {
    http.respond('POST', /^\/api\/tasks$/, 201, { task_id: 't-9' })
    const c = useAgentStream({
      transport: 'sse',
      url: 'http://sb.test:8080',
      EventSource: FakeEventSource as any,
      fetch: (url: string, init?: any) => {
        headers.push(init?.headers ?? {})
        return http.fn(url, init)
      },
      token: 's3cr3t t',
    })
    const headers: Record<string, string>[] = []
    await c.start('ticker')
    expect(headers[0].Authorization).toBe('Bearer s3cr3t t')
    expect(FakeEventSource.last.url).toBe('http://sb.test:8080/api/tasks/t-9/events?after=0&coalesce=progress&access_token=s3cr3t%20t')
  })
})
