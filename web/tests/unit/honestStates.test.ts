// The task monitor says plainly what it knows: a task the server does not
// know (on both transports, never retried), Stop only while a task runs, no
// stale start errors, a failed or cancelled task's bar, and a triage that
// stopped early.
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { defineComponent, h, nextTick, ref } from 'vue'
import TaskMonitor from '../../src/components/TaskMonitor.vue'
import { UNKNOWN_NOTICE, useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import { FakeEventSource, FakeWebSocket, fakeFetch, nextFrame } from './fakes'
import kinds from './kinds.json'

let client: AgentStream
let ws: FakeWebSocket

// A parent that owns the selected task id, as App does (a `?task=` link sets it first).
function mountHost(taskId: string | null = null) {
  const Host = defineComponent({
    setup() {
      const id = ref<string | null>(taskId)
      return () => h(TaskMonitor, { client, taskId: id.value, 'onUpdate:taskId': (v: string | null) => (id.value = v) })
    },
  })
  return mount(Host)
}

async function mountWs(taskId: string | null = null) {
  const w = mountHost(taskId)
  ws.reply('list_kinds', { type: 'kinds', kinds })
  await flushPromises()
  return w
}

async function startTask(w: ReturnType<typeof mountHost>, kind: string, taskId: string) {
  await w.get('[data-testid=kind]').setValue(kind)
  await w.get('[data-testid=start-form]').trigger('submit')
  ws.reply('start', { type: 'start_success', task_id: taskId, task: kind })
  await flushPromises()
}

const unhandled: unknown[] = []
const onUnhandled = (e: unknown) => void unhandled.push(e)

beforeEach(() => {
  unhandled.length = 0
  process.on('unhandledRejection', onUnhandled)
  FakeWebSocket.reset()
  FakeEventSource.reset()
})
afterEach(() => {
  client?.disconnect()
  process.off('unhandledRejection', onUnhandled)
})

describe('a task the server does not know', () => {
  beforeEach(() => {
    client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
    ws = FakeWebSocket.last
    ws.accept()
  })

  it('over WebSocket: shows the notice, no Stop, no error thrown, and never subscribes again', async () => {
    const w = await mountWs('t-gone')
    expect(ws.lastSent('subscribe')).toMatchObject({ task_id: 't-gone' })
    ws.reply('subscribe', { type: 'error', code: 'unknown_task', message: 'no task t-gone' })
    await flushPromises()
    expect(w.get('[data-testid=task-notice]').text()).toBe(UNKNOWN_NOTICE)
    expect(UNKNOWN_NOTICE).toBe('This task is unknown to the server or its history was deleted')
    expect(w.find('[data-testid=stop]').exists()).toBe(false)
    expect(w.find('[data-testid=action-error]').exists()).toBe(false)
    expect(w.find('[data-testid=progress-area]').exists()).toBe(false)
    expect(client.tasks['t-gone']).toMatchObject({ missing: true, watched: false })

    // A reconnect resumes the watched tasks: not this one.
    ws.serverClose(1006)
    await new Promise((r) => setTimeout(r, 600))
    const again = FakeWebSocket.last
    expect(again).not.toBe(ws)
    again.accept()
    await flushPromises()
    expect(again.sent.filter((m) => m.type === 'subscribe')).toEqual([])
    expect(unhandled).toEqual([])
  })
})

describe('a task the server does not know, over HTTP + SSE', () => {
  it('asks for the task once after the stream fails, then stops retrying', async () => {
    const http = fakeFetch()
    http.respond('GET', /^\/api\/kinds$/, 200, { type: 'kinds', kinds })
    http.respond('GET', /^\/api\/tasks\/t-gone$/, 404, { type: 'error', code: 'unknown_task', message: 'no task t-gone' })
    client = useAgentStream({
      transport: 'sse',
      url: 'http://sb.test',
      EventSource: FakeEventSource as any,
      fetch: http.fn,
      backoff: { initialMs: 20, maxMs: 40 },
    })
    const w = mountHost('t-gone')
    await flushPromises()
    expect(FakeEventSource.instances).toHaveLength(1)
    FakeEventSource.last.fail() // what a 404 on /events looks like to EventSource
    await flushPromises()
    await new Promise((r) => setTimeout(r, 100))
    await flushPromises()
    expect(FakeEventSource.instances).toHaveLength(1)
    expect(FakeEventSource.last.closed).toBe(true)
    expect(http.calls.filter((c) => c.url.endsWith('/api/tasks/t-gone'))).toHaveLength(1)
    expect(client.connection.status).toBe('open')
    expect(w.get('[data-testid=task-notice]').text()).toBe(UNKNOWN_NOTICE)
    expect(w.find('[data-testid=stop]').exists()).toBe(false)
    expect(unhandled).toEqual([])
  })

  it('keeps retrying a stream whose task exists', async () => {
    const http = fakeFetch()
    http.respond('GET', /^\/api\/kinds$/, 200, { type: 'kinds', kinds })
    http.respond('GET', /^\/api\/tasks\/t-1$/, 200, { task_id: 't-1', state: 'running' })
    client = useAgentStream({
      transport: 'sse',
      url: 'http://sb.test',
      EventSource: FakeEventSource as any,
      fetch: http.fn,
      backoff: { initialMs: 20, maxMs: 40 },
    })
    const w = mountHost('t-1')
    await flushPromises()
    FakeEventSource.last.fail()
    await new Promise((r) => setTimeout(r, 100))
    expect(FakeEventSource.instances).toHaveLength(2)
    expect(FakeEventSource.last.closed).toBe(false)
    expect(w.find('[data-testid=task-notice]').exists()).toBe(false)
  })
})

describe('the task monitor', () => {
  beforeEach(() => {
    client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
    ws = FakeWebSocket.last
    ws.accept()
  })

  it('offers Stop only while the task runs or waits for input', async () => {
    const w = await mountWs()
    await startTask(w, 'triage', 't-1')
    expect(w.find('[data-testid=stop]').exists()).toBe(true)
    ws.event('t-1', 1, 'input_request', { request_id: 'r-1', prompt: 'ok?', schema: { type: 'boolean' } })
    await nextFrame()
    expect(w.find('[data-testid=stop]').exists()).toBe(true)
    for (const [id, type, fields] of [
      ['t-2', 'result', { data: {} }],
      ['t-3', 'error', { code: 'internal', message: 'boom' }],
      ['t-4', 'stopped', { reason: 'by user' }],
    ] as const) {
      await startTask(w, 'ticker', id)
      ws.event(id, 1, 'started', { task: 'ticker', params: {} })
      await nextFrame()
      expect(w.find('[data-testid=stop]').exists()).toBe(true)
      ws.event(id, 2, type, fields)
      await nextFrame()
      expect(w.find('[data-testid=stop]').exists()).toBe(false)
    }
  })

  it('offers no Stop for a task whose state is not known yet', async () => {
    const w = await mountWs('t-9')
    expect(client.tasks['t-9'].state).toBe('unknown')
    expect(w.find('[data-testid=stop]').exists()).toBe(false)
  })

  it('clears a start error once a field is edited or the kind changes', async () => {
    const w = await mountWs()
    await w.get('[data-testid=kind]').setValue('audit')
    await w.get('[data-testid=param-path]').setValue('../etc')
    await w.get('[data-testid=start-form]').trigger('submit')
    ws.reply('start', { type: 'error', code: 'invalid_params', message: "path must not contain '..'" })
    await flushPromises()
    expect(w.get('[data-testid=action-error]').text()).toContain("path must not contain '..'")
    await w.get('[data-testid=param-path]').setValue('src')
    expect(w.find('[data-testid=action-error]').exists()).toBe(false)

    await w.get('[data-testid=param-path]').setValue('../etc')
    await w.get('[data-testid=start-form]').trigger('submit')
    ws.reply('start', { type: 'error', code: 'invalid_params', message: "path must not contain '..'" })
    await flushPromises()
    expect(w.find('[data-testid=action-error]').exists()).toBe(true)
    await w.get('[data-testid=kind]').setValue('ticker')
    expect(w.find('[data-testid=action-error]').exists()).toBe(false)
  })

  it("shows a failed task's code and message, with a red bar", async () => {
    const w = await mountWs()
    await startTask(w, 'audit', 't-5')
    ws.event('t-5', 1, 'progress', { step: 1, total: 4, message: 'scanning' })
    ws.event('t-5', 2, 'error', { code: 'tool_failed', message: 'scanner crashed' })
    await nextFrame()
    const err = w.get('[data-testid=task-error]')
    expect(err.attributes('data-code')).toBe('tool_failed')
    expect(err.text()).toContain('tool_failed')
    expect(err.text()).toContain('scanner crashed')
    // Said once, by the monitor's one live region (not a second, assertive one).
    expect(err.attributes('role')).toBeUndefined()
    await nextTick()
    expect(w.get('[data-testid=announcer]').text()).toBe('Task failed: scanner crashed')
    expect(w.get('[data-testid=progress-area]').classes()).toContain('progress-failed')
    expect(w.get('[data-testid=progress]').attributes('value')).toBe('25')
  })

  it("gives a cancelled task a grey bar that is neither full nor animated", async () => {
    const w = await mountWs()
    await startTask(w, 'ticker', 't-6')
    ws.event('t-6', 1, 'stopped', { reason: 'by user' })
    await nextFrame()
    const area = w.get('[data-testid=progress-area]')
    expect(area.classes()).toContain('progress-cancelled')
    expect(area.classes()).not.toContain('progress-completed')
    expect(w.get('[data-testid=progress]').attributes('value')).toBe('0')
  })

  it('styles the failed and cancelled bars from CSS variables', () => {
    const css = readFileSync('src/style.css', 'utf8') // vitest runs in web/
    expect(css).toMatch(/--danger:/)
    expect(css).toMatch(/\.progress-failed progress \{[^}]*var\(--danger\)/)
    expect(css).toMatch(/\.progress-cancelled progress \{[^}]*var\(--neutral\)/)
  })

  it('shows a triage that timed out: the notice and the undecided findings under the decisions', async () => {
    const w = await mountWs()
    await startTask(w, 'triage', 't-7')
    ws.event('t-7', 1, 'started', { task: 'triage', params: { path: '.' } })
    ws.event('t-7', 2, 'result', {
      data: {
        decisions: [{ rule: 'aws_access_key', path: 'a.env', line: 2, severity: 'high', decision: 'fix' }],
        undecided: [
          { rule: 'private_key', path: 'keys/id.pem', line: 1, severity: 'high' },
          { rule: 'generic_secret', path: 'b.yml', line: 3, severity: 'medium' },
        ],
        timed_out: 'no answer to r-3 within 300000 ms',
        counts: { fix: 1 },
        skipped: [],
      },
    })
    await nextFrame()
    expect(w.findAll('[data-testid=decision-row]')).toHaveLength(1)
    expect(w.get('[data-testid=triage-timed-out]').text()).toContain('no answer to r-3 within 300000 ms')
    const rows = w.findAll('[data-testid=undecided-row]')
    expect(rows.map((r) => r.text().replace(/\s+/g, ' '))).toEqual([
      'private_key high keys/id.pem:1',
      'generic_secret medium b.yml:3',
    ])
  })

  it('shows a triage that finished in time, or an older result, without the notice', async () => {
    const w = await mountWs()
    await startTask(w, 'triage', 't-8')
    ws.event('t-8', 1, 'result', {
      data: { decisions: [], undecided: [], timed_out: null, counts: {}, skipped: [] },
    })
    await startTask(w, 'triage', 't-9')
    ws.event('t-9', 1, 'result', { data: { decisions: [], counts: {} } })
    await nextFrame()
    expect(w.get('[data-testid=task-result]').attributes('data-view')).toBe('triage')
    expect(w.find('[data-testid=triage-timed-out]').exists()).toBe(false)
    expect(w.find('[data-testid=undecided-list]').exists()).toBe(false)
  })
})
