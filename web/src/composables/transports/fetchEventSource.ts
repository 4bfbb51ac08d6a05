// An EventSource over fetch(): what the SSE transport uses in browsers.
//
// A browser's EventSource parses a network read and dispatches every event in
// it in one task: a backlog of 20,000 events arrives in reads of up to ~600 kB
// (3,000+ events), and even with listeners that do nothing Chromium's parsing
// and dispatching of such a read blocks the page for 200–450 ms. This one
// reads the stream with fetch(), parses it itself (the text/event-stream
// format of the HTML standard) and dispatches in slices of SLICE_MS, giving the
// main thread back between slices; the next read waits until a read's events
// are all dispatched. It never reconnects by itself: a stream that breaks or
// ends fires a plain `error` (no data) and is closed, as the SSE transport
// wants (it resumes with its own backoff, from the last seq applied).

import { sliceClock, yieldToMain, type SliceClock } from '../frame'
import type { EventSourceCtor, EventSourceLike, SseEventLike } from './transport'

/** What the stream needs of fetch's Response. */
export interface StreamResponse {
  ok: boolean
  status: number
  headers?: { get(name: string): string | null }
  body: { getReader(): StreamReader } | null
}
export interface StreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>
  cancel(): Promise<void>
}
export type StreamFetch = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal; cache?: 'no-store' },
) => Promise<StreamResponse>

export interface FetchEventSourceOptions {
  /** Makes the clock that says when a slice is over (default sliceClock()). */
  clock?: () => SliceClock
  /** Gives the thread back between slices (default yieldToMain). */
  yield?: () => Promise<void>
}

/** The fields of one event as the text/event-stream format builds it. */
interface Parsed {
  type: string
  data: string
  lastEventId: string
}

/** An incremental text/event-stream parser: push() text as it comes, next()
 * the events complete so far. Lines end with \n, \r\n or \r. */
export class SseParser {
  private buf = ''
  private pos = 0
  /** A \r that ended a push: a \n may follow in the next. */
  private heldCr = false
  private type = ''
  private data: string[] = []
  private lastEventId = ''

  push(text: string): void {
    if (this.heldCr) {
      text = '\r' + text
      this.heldCr = false
    }
    if (text.endsWith('\r')) {
      text = text.slice(0, -1)
      this.heldCr = true
    }
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n')
    this.buf = this.pos < this.buf.length ? this.buf.slice(this.pos) + text : text
    this.pos = 0
  }

  /** The end of the stream: a held \r ends its line. An event not ended by a
   * blank line is never dispatched (as the standard says). */
  end(): void {
    if (this.heldCr) {
      this.heldCr = false
      this.push('\n')
    }
  }

  /** The next complete event, or null until more text comes. */
  next(): Parsed | null {
    for (;;) {
      const nl = this.buf.indexOf('\n', this.pos)
      if (nl < 0) return null
      const line = this.buf.slice(this.pos, nl)
      this.pos = nl + 1
      if (line === '') {
        const type = this.type || 'message'
        const data = this.data
        this.type = ''
        this.data = []
        if (data.length === 0) continue
        return { type, data: data.join('\n'), lastEventId: this.lastEventId }
      }
      if (line.charCodeAt(0) === 58 /* ':' */) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1)
      if (field === 'data') this.data.push(value)
      else if (field === 'event') this.type = value
      else if (field === 'id') {
        if (!value.includes('\0')) this.lastEventId = value
      }
      // `retry` and unknown fields: ignored (this source never reconnects).
    }
  }
}

const CONNECTING = 0
const OPEN = 1
const CLOSED = 2

/** An EventSource constructor whose instances read their stream with
 * `doFetch`, dispatching in time slices. */
export function fetchEventSource(doFetch: StreamFetch, options: FetchEventSourceOptions = {}): EventSourceCtor {
  const makeClock = options.clock ?? (() => sliceClock())
  const pause = options.yield ?? yieldToMain

  return class FetchEventSource implements EventSourceLike {
    readyState = CONNECTING
    onopen: ((ev: unknown) => void) | null = null
    private listeners = new Map<string, Array<(ev: SseEventLike) => void>>()
    private ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null
    private reader: StreamReader | null = null

    constructor(readonly url: string) {
      void this.run()
    }

    addEventListener(type: string, listener: (ev: SseEventLike) => void): void {
      const list = this.listeners.get(type)
      if (list) list.push(listener)
      else this.listeners.set(type, [listener])
    }

    close(): void {
      if (this.readyState === CLOSED) return
      this.readyState = CLOSED
      this.ctrl?.abort()
      this.reader?.cancel().catch(() => {})
      this.reader = null
    }

    private dispatch(ev: SseEventLike): void {
      const list = this.listeners.get(ev.type ?? 'message')
      if (!list) return
      for (const listener of [...list]) {
        if (this.readyState === CLOSED && ev.type !== 'error') return
        try {
          listener(ev)
        } catch (e) {
          // As a browser does with a listener's exception: report it, go on.
          setTimeout(() => {
            throw e
          }, 0)
        }
      }
    }

    /** The stream broke, ended or was refused: closed, then a plain error. */
    private fail(): void {
      if (this.readyState === CLOSED) return
      this.close()
      this.dispatch({ type: 'error' })
    }

    private async run(): Promise<void> {
      let res: StreamResponse
      try {
        res = await doFetch(this.url, {
          headers: { Accept: 'text/event-stream' },
          cache: 'no-store',
          signal: this.ctrl?.signal,
        })
      } catch {
        this.fail()
        return
      }
      if (this.readyState === CLOSED) return
      const type = res.headers?.get('content-type') ?? 'text/event-stream'
      if (!res.ok || !res.body || !/^text\/event-stream\b/i.test(type)) {
        this.fail()
        return
      }
      let reader: StreamReader
      try {
        reader = res.body.getReader()
      } catch {
        this.fail()
        return
      }
      this.reader = reader
      this.readyState = OPEN
      this.onopen?.({ type: 'open' })
      const parser = new SseParser()
      const decoder = new TextDecoder()
      const clock = makeClock()
      for (;;) {
        if (this.readyState === CLOSED) return
        let chunk: { done: boolean; value?: Uint8Array }
        try {
          chunk = await reader.read()
        } catch {
          this.fail()
          return
        }
        if (this.readyState === CLOSED) return
        if (chunk.done) {
          parser.push(decoder.decode())
          parser.end()
        } else if (chunk.value) {
          parser.push(decoder.decode(chunk.value, { stream: true }))
        }
        for (let ev = parser.next(); ev; ev = parser.next()) {
          if (clock.spent()) {
            await pause()
            if (this.readyState === CLOSED) return
          }
          this.dispatch(ev)
          if (this.readyState === CLOSED) return
        }
        if (chunk.done) {
          this.fail()
          return
        }
      }
    }
  }
}

/** True where fetch can stream a response body (every current browser). */
export function canStreamFetch(): boolean {
  const g = globalThis as { fetch?: unknown; ReadableStream?: unknown; Response?: { prototype: object } }
  return (
    typeof g.fetch === 'function' &&
    typeof g.ReadableStream === 'function' &&
    !!g.Response &&
    'body' in g.Response.prototype &&
    typeof TextDecoder !== 'undefined'
  )
}
