// Work in time slices: the slice clock, the inbox of incoming frames, the
// EventSource over fetch (its parser, its slices, its errors), and the
// WebSocket transport handling a burst in slices, in order, exactly once.
import { describe, expect, it } from 'vitest'
import { createInbox, sliceClock, yieldToMain, type SliceClock } from '../../src/composables/frame'
import { SseParser, fetchEventSource, type StreamFetch, type StreamResponse } from '../../src/composables/transports/fetchEventSource'
import { createSseTransport } from '../../src/composables/transports/sse'
import { createWsTransport } from '../../src/composables/transports/ws'
import type { SseEventLike } from '../../src/composables/transports/transport'
import { FakeWebSocket, fakeFetch } from './fakes'
import { fakeHost, testSettings } from './fakeHost'

/** A clock the test sets: `spent()` says what `over` says. */
function manualClock() {
  const c = { over: false, asked: 0 }
  const clock: SliceClock = {
    spent() {
      c.asked++
      return c.over
    },
  }
  return { c, clock }
}

/** Lets queued tasks (MessageChannel messages) and promises run. */
async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i++) await yieldToMain()
}

describe('slice clock', () => {
  it('is spent once the budget is used in one task, and fresh in the next', async () => {
    let now = 0
    const clock = sliceClock(8, () => now)
    expect(clock.spent()).toBe(false) // begins a slice
    now = 7
    expect(clock.spent()).toBe(false)
    now = 8
    expect(clock.spent()).toBe(true)
    now = 30
    expect(clock.spent()).toBe(true)
    await yieldToMain()
    expect(clock.spent()).toBe(false) // a later task: a new slice
    now = 37
    expect(clock.spent()).toBe(false)
  })
})

describe('inbox', () => {
  it('runs jobs at once while the slice has budget, queues them in order after, and drains them in later tasks', async () => {
    const { c, clock } = manualClock()
    const inbox = createInbox(clock)
    const done: number[] = []
    inbox.run(() => done.push(1))
    expect(done).toEqual([1])
    c.over = true
    inbox.run(() => done.push(2))
    inbox.run(() => done.push(3))
    expect(done).toEqual([1])
    expect(inbox.size).toBe(2)
    c.over = false
    // Something that comes while others wait waits behind them.
    inbox.run(() => done.push(4))
    expect(done).toEqual([1])
    await settle()
    expect(done).toEqual([1, 2, 3, 4])
    expect(inbox.size).toBe(0)
  })

  it('gives the thread back between slices', async () => {
    const { c, clock } = manualClock()
    const inbox = createInbox(clock)
    const done: number[] = []
    c.over = true
    for (let i = 0; i < 5; i++) inbox.run(() => done.push(i))
    // Each drain runs one job, then finds the slice spent again.
    let spentAfter = 0
    const spent = clock.spent.bind(clock)
    clock.spent = () => {
      const r = spent()
      if (!r) spentAfter++
      c.over = !c.over
      return r
    }
    c.over = false
    await settle(2)
    expect(done.length).toBeGreaterThan(0)
    expect(done.length).toBeLessThan(5)
    await settle()
    expect(done).toEqual([0, 1, 2, 3, 4])
    expect(spentAfter).toBeGreaterThan(1)
  })

  it('without a clock runs every job at once; clear() drops what waits', async () => {
    const now = createInbox(null)
    const done: number[] = []
    for (let i = 0; i < 3; i++) now.run(() => done.push(i))
    expect(done).toEqual([0, 1, 2])
    const { c, clock } = manualClock()
    const later = createInbox(clock)
    c.over = true
    later.run(() => done.push(9))
    later.clear()
    c.over = false
    await settle()
    expect(done).toEqual([0, 1, 2])
  })
})

describe('text/event-stream parser', () => {
  it('parses events across any split, with \\n, \\r\\n and \\r line ends, comments, ids and multi-line data', () => {
    const text =
      ': hello\r\n' +
      'event: progress\r\nid: 7\r\ndata: {"a":1}\r\n\r\n' +
      'data: line one\rdata:line two\r\r' +
      'event: snapshot\nretry: 5\ndata: {}\n\n' +
      'event: empty\n\n' + // no data: nothing dispatched
      'data: unfinished'
    const expected = [
      { type: 'progress', data: '{"a":1}', lastEventId: '7' },
      { type: 'message', data: 'line one\nline two', lastEventId: '7' },
      { type: 'snapshot', data: '{}', lastEventId: '7' },
    ]
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser()
      const out = []
      for (const part of [text.slice(0, cut), text.slice(cut)]) {
        p.push(part)
        for (let e = p.next(); e; e = p.next()) out.push(e)
      }
      p.end()
      for (let e = p.next(); e; e = p.next()) out.push(e)
      expect(out, `split at ${cut}`).toEqual(expected)
    }
  })
})

/** A streaming response whose body the test feeds chunk by chunk. */
function streamingFetch() {
  const enc = new TextEncoder()
  const calls: Array<{ url: string; headers: Record<string, string>; signal?: AbortSignal }> = []
  let feed: Array<{ done: boolean; value?: Uint8Array } | Error> = []
  let wake: (() => void) | null = null
  let cancelled = false
  let respond: (r: StreamResponse) => void = () => {}
  const fn: StreamFetch = (url, init) => {
    calls.push({ url, headers: init.headers, signal: init.signal })
    return new Promise((resolve) => (respond = resolve))
  }
  const reader = {
    async read() {
      while (feed.length === 0) await new Promise<void>((r) => (wake = r))
      const next = feed.shift()!
      if (next instanceof Error) throw next
      return next
    },
    cancel() {
      cancelled = true
      return Promise.resolve()
    },
  }
  const push = (x: { done: boolean; value?: Uint8Array } | Error) => {
    feed.push(x)
    wake?.()
    wake = null
  }
  return {
    fn,
    calls,
    get cancelled() {
      return cancelled
    },
    open(status = 200, type = 'text/event-stream') {
      respond({ ok: status < 400, status, headers: { get: () => type }, body: { getReader: () => reader } })
    },
    send: (text: string) => push({ done: false, value: enc.encode(text) }),
    end: () => push({ done: true }),
    fail: () => push(new Error('network')),
    reset() {
      feed = []
    },
  }
}

function sseEvent(seq: number, type = 'progress', taskId = 't-1', fields: Record<string, unknown> = {}) {
  const data = JSON.stringify({ type, task_id: taskId, seq, ts: 1700000000000 + seq, ...fields })
  return `event: ${type}\nid: ${seq}\ndata: ${data}\n\n`
}

describe('EventSource over fetch', () => {
  it('opens on a 200 text/event-stream, dispatches by type, and dispatches a read in slices', async () => {
    const net = streamingFetch()
    const { c, clock } = manualClock()
    const ES = fetchEventSource(net.fn, { clock: () => clock })
    const es = new ES('http://sb.test/api/tasks/t-1/events?after=0')
    expect(net.calls[0].headers).toEqual({ Accept: 'text/event-stream' })
    const seen: SseEventLike[] = []
    let opened = 0
    es.onopen = () => opened++
    es.addEventListener('progress', (e) => seen.push(e))
    net.open()
    await settle(2)
    expect(opened).toBe(1)
    expect(es.readyState).toBe(1)
    // Ten events in one read; the slice is spent after the third.
    let n = 0
    clock.spent = () => {
      c.asked++
      return ++n % 4 === 0
    }
    net.send([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => sseEvent(s)).join(''))
    await new Promise<void>((r) => queueMicrotask(r))
    await Promise.resolve()
    await Promise.resolve()
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.length).toBeLessThan(10)
    await settle()
    expect(seen.map((e) => JSON.parse(String(e.data)).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(seen[9]).toMatchObject({ type: 'progress', lastEventId: '10' })
  })

  it('stops at close(), even within a read, and cancels the stream', async () => {
    const net = streamingFetch()
    const ES = fetchEventSource(net.fn, { clock: () => ({ spent: () => false }) })
    const es = new ES('http://sb.test/e')
    const seqs: number[] = []
    es.addEventListener('progress', (e) => {
      const seq = JSON.parse(String(e.data)).seq
      seqs.push(seq)
      if (seq === 2) es.close()
    })
    net.open()
    net.send(sseEvent(1) + sseEvent(2) + sseEvent(3))
    await settle()
    expect(seqs).toEqual([1, 2])
    expect(es.readyState).toBe(2)
    expect(net.cancelled).toBe(true)
    expect(net.calls[0].signal?.aborted).toBe(true)
  })

  it('fires a plain error, once, and closes when refused, broken or ended; an error event with data is the task’s', async () => {
    for (const how of ['404', 'html', 'broken', 'ended'] as const) {
      const net = streamingFetch()
      const ES = fetchEventSource(net.fn, { clock: () => ({ spent: () => false }) })
      const es = new ES('http://sb.test/e')
      const errors: SseEventLike[] = []
      let opened = 0
      es.onopen = () => opened++
      es.addEventListener('error', (e) => errors.push(e))
      if (how === '404') net.open(404)
      else if (how === 'html') net.open(200, 'text/html')
      else {
        net.open()
        net.send(sseEvent(5, 'error', 't-1', { code: 'boom', message: 'x' }))
        if (how === 'broken') net.fail()
        else net.end()
      }
      await settle()
      const plain = errors.filter((e) => e.data === undefined)
      expect(plain, how).toHaveLength(1)
      expect(es.readyState, how).toBe(2)
      expect(opened, how).toBe(how === '404' || how === 'html' ? 0 : 1)
      if (how === 'broken' || how === 'ended') expect(JSON.parse(String(errors[0].data))).toMatchObject({ type: 'error', seq: 5 })
    }
  })

  it('carries the SSE transport: a backlog in slices, in seq order, once; the stream closed at the terminal event', async () => {
    const net = streamingFetch()
    let n = 0
    const ES = fetchEventSource(net.fn, { clock: () => ({ spent: () => ++n % 50 === 0 }) })
    const h = fakeHost()
    const t = h.use(createSseTransport(testSettings({ EventSource: ES, fetch: fakeFetch().fn }), h.host))
    t.connect()
    h.watch('t-1')
    t.subscribe('t-1', 0)
    net.open()
    await settle(2)
    expect(h.state.status).toBe('open')
    const backlog = [sseEvent(1, 'started', 't-1', { task: 'ticker', params: {} })]
    for (let s = 2; s <= 400; s++) backlog.push(sseEvent(s))
    backlog.push(sseEvent(3)) // a duplicate: dropped
    backlog.push(sseEvent(401, 'result', 't-1', { data: { steps: 399 } }))
    backlog.push(sseEvent(402)) // after the end: never read
    const text = backlog.join('')
    net.send(text.slice(0, 20000))
    net.send(text.slice(20000))
    await settle(60)
    const task = h.tasks['t-1']
    expect(task.state).toBe('completed')
    expect(task.events.map((e) => e.seq)).toEqual(Array.from({ length: 401 }, (_, i) => i + 1))
    expect(t.following('t-1')).toBe(true) // terminal
    expect(net.cancelled).toBe(true)
  })
})

describe('WebSocket transport in slices', () => {
  it('applies a burst in order over several tasks, drops duplicates, and handles a close after the frames before it', async () => {
    FakeWebSocket.reset()
    const h = fakeHost()
    // A real clock with no budget left after the first frame of each task.
    const t = h.use(createWsTransport(testSettings({ WebSocket: FakeWebSocket, sliceMs: 1e-9 }), h.host))
    t.connect()
    const ws = FakeWebSocket.last
    ws.accept()
    await settle()
    expect(h.state.status).toBe('open')
    h.watch('t-1')
    ws.event('t-1', 1, 'started', { task: 'ticker', params: {} })
    for (let s = 2; s <= 50; s++) ws.event('t-1', s, 'progress', { step: s })
    ws.event('t-1', 10, 'progress', { step: 10 }) // a duplicate
    ws.event('t-1', 51, 'result', { data: {} })
    ws.serverClose(1011, 'gone')
    // Not all at once: the burst waits in slices.
    expect(h.tasks['t-1'].events.length).toBeLessThan(51)
    expect(h.state.status).toBe('open')
    await settle(200)
    expect(h.tasks['t-1'].events.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1))
    expect(h.tasks['t-1'].state).toBe('completed')
    // The close came after the frames, and is handled after them.
    expect(h.state).toMatchObject({ status: 'reconnecting', lastClose: { code: 1011, reason: 'gone' } })
    t.close()
  })
})
