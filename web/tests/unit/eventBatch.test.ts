// useAgentStream takes task events at once (its state is exact at every
// moment) but tells Vue of them once per animation frame.
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, onUpdated, watch } from 'vue'
import { requestFrame as realRequestFrame } from '../../src/composables/frame'
import * as reducer from '../../src/composables/taskState'
import { useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import type { TaskEvent } from '../../src/protocol'
import { FakeWebSocket } from './fakes'

/** A frame clock the test turns by hand. */
function manualFrames() {
  const queue: (() => void)[] = []
  let requested = 0
  return {
    requestFrame: (cb: () => void) => {
      requested++
      queue.push(cb)
      return () => {
        const i = queue.indexOf(cb)
        if (i >= 0) queue.splice(i, 1)
      }
    },
    get requested() {
      return requested
    },
    get pending() {
      return queue.length
    },
    /** Runs the callbacks waiting for this frame. */
    tick() {
      for (const cb of queue.splice(0)) cb()
    },
  }
}

function ticker(taskId: string, n: number): TaskEvent[] {
  const out: TaskEvent[] = [{ type: 'started', task_id: taskId, seq: 1, ts: 1000, task: 'ticker', params: { steps: n } }]
  for (let i = 1; i <= n; i++) out.push({ type: 'progress', task_id: taskId, seq: i + 1, ts: 1000 + i, step: i, total: n, message: `tick ${i}` })
  out.push({ type: 'result', task_id: taskId, seq: n + 2, ts: 1000 + n + 1, data: { steps: n } })
  return out
}

let frames: ReturnType<typeof manualFrames>
let client: AgentStream
let ws: FakeWebSocket

beforeEach(() => {
  FakeWebSocket.reset()
  frames = manualFrames()
  client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any, requestFrame: frames.requestFrame })
  ws = FakeWebSocket.last
  ws.accept()
})
afterEach(() => client.disconnect())

/** A component that shows a task's state, progress and event count, and
 * counts its renders. */
function mountView(id: string) {
  const renders = { count: 0 }
  const View = defineComponent({
    setup() {
      onUpdated(() => renders.count++)
      return () => {
        const t = client.tasks[id]
        return h('p', `${t?.state} ${t?.progress?.step ?? '-'} ${t?.events.length ?? 0}`)
      }
    },
  })
  return { w: mount(View), renders }
}

describe('events batched per frame', () => {
  it('renders a thousand events once, at the next frame, with the state exact meanwhile', async () => {
    const events = ticker('t-1', 1000)
    client.applyEvent(events[0]) // the first event of a task makes it, at once
    const { w, renders } = mountView('t-1')
    expect(w.text()).toBe('running - 1')

    for (const e of events.slice(1)) ws.receive(e)
    // The state is exact at once (what the transports ask of it, too)...
    const t = client.tasks['t-1']
    expect(t.lastSeq).toBe(1002)
    expect(t.state).toBe('completed')
    expect(t.events).toHaveLength(1002)
    // ...but Vue has not heard of it: one frame asked for, nothing rendered.
    expect(frames.requested).toBe(1)
    await nextTick()
    await flushPromises()
    expect(renders.count).toBe(0)
    expect(w.text()).toBe('running - 1')

    frames.tick()
    await nextTick()
    expect(renders.count).toBe(1)
    expect(w.text()).toBe('completed 1000 1002')
    expect(frames.pending).toBe(0)
  })

  it('counts one reactive update per frame however many events came in it', async () => {
    client.applyEvent(ticker('t-2', 0)[0])
    const seen: number[] = []
    watch(
      () => client.tasks['t-2'].events.length,
      (n) => seen.push(n),
    )
    const events = ticker('t-2', 600)
    for (const e of events.slice(1, 301)) ws.receive(e)
    frames.tick()
    await nextTick()
    for (const e of events.slice(301)) ws.receive(e)
    frames.tick()
    await nextTick()
    expect(seen).toEqual([301, 602])
    expect(frames.requested).toBe(2)
  })

  it('keeps the reducer semantics: the same state as the reducer applied event by event', () => {
    const events: TaskEvent[] = [
      ...ticker('t-3', 5).slice(0, 4),
      { type: 'input_request', task_id: 't-3', seq: 5, ts: 5, request_id: 'r-1', prompt: 'ok?', schema: { type: 'boolean' }, timeout_ms: 1000 },
      { type: 'log', task_id: 't-3', seq: 6, ts: 6, level: 'info', message: 'waiting' },
      { type: 'input_received', task_id: 't-3', seq: 7, ts: 7, request_id: 'r-1', value: true },
      { type: 'progress', task_id: 't-3', seq: 3, ts: 3, step: 2, total: 5, message: 'again' }, // a duplicate
      { type: 'stopped', task_id: 't-3', seq: 8, ts: 8, reason: 'enough' },
    ]
    const expected: reducer.TaskMap = {}
    const expectedApplied = events.map((e) => reducer.applyEvent(expected, structuredClone(e)))
    const applied = events.map((e) => client.applyEvent(structuredClone(e)))
    expect(applied).toEqual(expectedApplied)
    expect(client.connection.duplicatesDropped).toBe(1)
    const before = { ...client.tasks['t-3'], events: [...client.tasks['t-3'].events] }
    frames.tick()
    const after = { ...client.tasks['t-3'], events: [...client.tasks['t-3'].events] }
    expect(before).toEqual(expected['t-3'])
    expect(after).toEqual(expected['t-3'])
  })

  it('lets the oldest events go past maxEvents and counts them', async () => {
    const c = useAgentStream({
      url: 'http://sb.test',
      WebSocket: FakeWebSocket as any,
      requestFrame: frames.requestFrame,
      maxEvents: 100,
    })
    FakeWebSocket.last.accept()
    const events = ticker('t-5', 248) // 250 events
    c.applyEvent(events[0])
    for (const e of events.slice(1, 120)) c.applyEvent(e)
    frames.tick()
    expect(c.tasks['t-5'].events).toHaveLength(100)
    expect(c.tasks['t-5'].droppedEvents).toBe(20)
    expect(c.tasks['t-5'].events[0].seq).toBe(21)
    for (const e of events.slice(120)) c.applyEvent(e)
    frames.tick()
    const t = c.tasks['t-5']
    expect(t.events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i))
    expect(t.droppedEvents).toBe(150)
    expect(t.state).toBe('completed')
    c.disconnect()
  })
})

describe('requestFrame', () => {
  it('runs once at the next animation frame, or on a timer where there is none', async () => {
    const cb = vi.fn()
    realRequestFrame(cb)
    await new Promise((r) => setTimeout(r, 40))
    expect(cb).toHaveBeenCalledTimes(1)

    const raf = globalThis.requestAnimationFrame
    vi.stubGlobal('requestAnimationFrame', undefined)
    try {
      vi.useFakeTimers()
      const cb2 = vi.fn()
      const cancel = realRequestFrame(cb2)
      vi.advanceTimersByTime(15)
      expect(cb2).not.toHaveBeenCalled()
      vi.advanceTimersByTime(1)
      expect(cb2).toHaveBeenCalledTimes(1)
      const cb3 = vi.fn()
      realRequestFrame(cb3)()
      vi.advanceTimersByTime(100)
      expect(cb3).not.toHaveBeenCalled()
      cancel()
    } finally {
      vi.useRealTimers()
      vi.unstubAllGlobals()
    }
    expect(globalThis.requestAnimationFrame).toBe(raf)
  })
})
