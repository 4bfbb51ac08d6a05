// Fake WebSocket, EventSource and fetch that tests drive by hand.

export class FakeWebSocket {
  static instances: FakeWebSocket[] = []
  static reset() {
    FakeWebSocket.instances = []
  }
  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1]
  }

  readyState = 0
  sent: any[] = []
  closedWith: { code?: number; reason?: string } | null = null
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null

  constructor(public url: string) {
    FakeWebSocket.instances.push(this)
  }

  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(JSON.parse(data))
  }

  close(code?: number, reason?: string) {
    this.closedWith = { code, reason }
    this.readyState = 3
  }

  // -- the server's side --
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  hello(heartbeatMs = 15000) {
    this.receive({ type: 'hello', protocol: 1, session_id: `s-${FakeWebSocket.instances.length}`, heartbeat_ms: heartbeatMs, server: 'fake' })
  }
  /** open() then hello(). */
  accept(heartbeatMs = 15000) {
    this.open()
    this.hello(heartbeatMs)
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) })
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
  lastSent(type: string): any {
    for (let i = this.sent.length - 1; i >= 0; i--) if (this.sent[i].type === type) return this.sent[i]
    return undefined
  }
  /** Answers the last message of `type` the client sent. */
  reply(type: string, msg: Record<string, unknown>) {
    const req = this.lastSent(type)
    if (!req) throw new Error(`client sent no ${type}`)
    this.receive({ ...msg, reply_to: req.id })
  }
  event(taskId: string, seq: number, type: string, fields: Record<string, unknown> = {}) {
    this.receive({ type, task_id: taskId, seq, ts: 1700000000000 + seq, ...fields })
  }
}

type Listener = (ev: any) => void

export class FakeEventSource {
  static instances: FakeEventSource[] = []
  static reset() {
    FakeEventSource.instances = []
  }
  static get last(): FakeEventSource {
    return FakeEventSource.instances[FakeEventSource.instances.length - 1]
  }

  readyState = 0
  closed = false
  onopen: ((ev: unknown) => void) | null = null
  listeners = new Map<string, Listener[]>()

  constructor(public url: string) {
    FakeEventSource.instances.push(this)
  }
  addEventListener(type: string, l: Listener) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l])
  }
  close() {
    this.closed = true
    this.readyState = 2
  }

  // -- the server's side --
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  emit(type: string, data: unknown, lastEventId = '') {
    for (const l of this.listeners.get(type) ?? []) l({ type, data: JSON.stringify(data), lastEventId })
  }
  event(taskId: string, seq: number, type: string, fields: Record<string, unknown> = {}) {
    this.emit(type, { type, task_id: taskId, seq, ts: 1700000000000 + seq, ...fields }, String(seq))
  }
  /** The connection broke (a plain Event, no data). */
  fail() {
    this.readyState = 0
    for (const l of this.listeners.get('error') ?? []) l({ type: 'error' })
  }
}

export interface FetchCall {
  url: string
  method: string
  body: any
}

/** A fetch whose answers tests queue up with `respond`. */
export function fakeFetch() {
  const calls: FetchCall[] = []
  const routes: Array<{ method: string; path: RegExp; status: number; body: unknown } | { method: string; path: RegExp; hang: true }> = []
  const fn = (url: string, init?: { method?: string; body?: string; signal?: AbortSignal }) => {
    const method = init?.method ?? 'GET'
    calls.push({ url, method, body: init?.body ? JSON.parse(init.body) : undefined })
    const path = new URL(url).pathname
    const route = routes.find((r) => r.method === method && r.path.test(path))
    if (!route) return Promise.resolve({ ok: false, status: 404, statusText: 'Not Found', text: () => Promise.resolve('') })
    if ('hang' in route)
      return new Promise<never>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))
    return Promise.resolve({
      ok: route.status < 400,
      status: route.status,
      statusText: String(route.status),
      text: () => Promise.resolve(JSON.stringify(route.body)),
    })
  }
  return {
    fn,
    calls,
    respond(method: string, path: RegExp, status: number, body: unknown) {
      routes.unshift({ method, path, status, body })
    },
    hang(method: string, path: RegExp) {
      routes.unshift({ method, path, hang: true })
    },
  }
}

/** Waits for the next animation frame, when the UI takes the events that
 * came since the last one (useAgentStream), then for what it rendered. */
export async function nextFrame(): Promise<void> {
  await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()))
  await new Promise<void>((resolve) => setTimeout(resolve, 0))
}
