// A triage that helps decide: each question shows its finding (rule,
// severity, place, redacted excerpt), how many are decided of how many, the
// time left to answer; Stop is kept apart from the answers and asked twice;
// a live region says what changed and the keyboard follows the questions.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { defineComponent, h, nextTick, ref } from 'vue'
import TaskMonitor from '../../src/components/TaskMonitor.vue'
import InputCountdown from '../../src/components/InputCountdown.vue'
import { useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import { FakeWebSocket, nextFrame } from './fakes'
import kinds from './kinds.json'

let client: AgentStream
let ws: FakeWebSocket
const mounted: VueWrapper[] = []

// A parent that owns the selected task id, as App does; in the document, so
// that focus can be checked.
async function mountMonitor(taskId: string | null = null) {
  const Host = defineComponent({
    setup() {
      const id = ref<string | null>(taskId)
      return () => h(TaskMonitor, { client, taskId: id.value, 'onUpdate:taskId': (v: string | null) => (id.value = v) })
    },
  })
  const w = mount(Host, { attachTo: document.body })
  mounted.push(w)
  ws.reply('list_kinds', { type: 'kinds', kinds })
  await flushPromises()
  return w
}

async function startTriage(w: VueWrapper, taskId = 't-1') {
  await w.get('[data-testid=kind]').setValue('triage')
  await w.get('[data-testid=start-form]').trigger('submit')
  ws.reply('start', { type: 'start_success', task_id: taskId, task: 'triage' })
  await flushPromises()
  await nextTick()
}

const findings = [
  { rule: 'aws_access_key', severity: 'high', path: 'config/production.env', line: 2, excerpt: 'AWS_ACCESS_KEY_ID=AKIA****' },
  { rule: 'generic_secret', severity: 'medium', path: 'app/settings.py', line: 14, excerpt: 'password = "****"' },
]
const schema = { type: 'string', enum: ['fix', 'accept', 'false_positive'] }

/** The server's input_request for finding i (from 0) of `findings`. */
function ask(taskId: string, seq: number, i: number, fields: Record<string, unknown> = {}) {
  ws.event(taskId, seq, 'input_request', {
    request_id: `r-${i + 1}`,
    prompt: `Finding ${i + 1} of 2: ${findings[i].rule}. Fix, accept or mark as false positive?`,
    schema,
    timeout_ms: 300000,
    context: { finding: findings[i], index: i + 1, count: findings.length },
    ts: Date.now(),
    ...fields,
  })
}

const announced = (w: VueWrapper) => w.get('[data-testid=announcer]').text()
const focusedTestId = () => (document.activeElement as HTMLElement | null)?.dataset.testid ?? document.activeElement?.tagName

beforeEach(() => {
  FakeWebSocket.reset()
  client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
  ws = FakeWebSocket.last
  ws.accept()
})
afterEach(() => {
  for (const w of mounted.splice(0)) w.unmount()
  client.disconnect()
  vi.useRealTimers()
})

describe('the triage question', () => {
  it('shows the finding: rule, severity badge, file:line and the excerpt', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ws.event('t-1', 1, 'started', { task: 'triage', params: {} })
    ask('t-1', 2, 0)
    await nextFrame()
    expect(w.get('[data-testid=question-title]').text()).toBe('Question 1 of 2')
    expect(w.get('[data-testid=question-rule]').text()).toBe('aws_access_key')
    const badge = w.get('[data-testid=question-severity]')
    expect(badge.text()).toBe('high')
    expect(badge.classes()).toContain('sev-high')
    expect(w.get('[data-testid=question-place]').text()).toBe('config/production.env:2')
    const excerpt = w.get('[data-testid=question-excerpt]')
    expect(excerpt.element.tagName).toBe('PRE')
    expect(excerpt.text()).toBe('AWS_ACCESS_KEY_ID=AKIA****')
    expect(w.get('[data-testid=input-prompt]').text()).toContain('Fix, accept or mark as false positive?')
    expect(w.findAll('[data-testid=input-form] button').map((b) => b.text())).toEqual(['fix', 'accept', 'false positive'])
  })

  it('falls back to the prompt alone without a context, or with a malformed one', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ws.event('t-1', 1, 'input_request', { request_id: 'r-1', prompt: 'Go on?', schema: { type: 'boolean' }, timeout_ms: 1000 })
    await nextFrame()
    expect(w.get('[data-testid=question-title]').text()).toBe('Question')
    expect(w.find('[data-testid=question-finding]').exists()).toBe(false)
    expect(w.find('[data-testid=decided]').exists()).toBe(false)
    expect(w.get('[data-testid=input-prompt]').text()).toBe('Go on?')
    ws.event('t-1', 2, 'input_received', { request_id: 'r-1', value: true })
    ws.event('t-1', 3, 'input_request', {
      request_id: 'r-2',
      prompt: 'And now?',
      schema: { type: 'boolean' },
      timeout_ms: 1000,
      context: { finding: { rule: 'x' }, index: 'two', count: -1 },
    })
    await nextFrame()
    expect(w.get('[data-testid=question-title]').text()).toBe('Question')
    expect(w.find('[data-testid=question-finding]').exists()).toBe(false)
    expect(w.get('[data-testid=input-prompt]').text()).toBe('And now?')
  })
})

describe('n of m decided', () => {
  it('counts the answers apart from the scan, whose bar is not full while questions wait', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ws.event('t-1', 1, 'started', { task: 'triage', params: {} })
    ws.event('t-1', 2, 'progress', { step: 12, total: 12, message: 'scanned' })
    ask('t-1', 3, 0)
    await nextFrame()
    expect(w.get('[data-testid=progress]').attributes('value')).toBe('99')
    expect(w.get('[data-testid=progress-text]').text()).not.toContain('%')
    expect(w.get('[data-testid=decided-text]').text()).toBe('0 of 2 decided')
    const bar = w.get('[data-testid=decided-progress]')
    expect([bar.attributes('value'), bar.attributes('max')]).toEqual(['0', '2'])

    ws.event('t-1', 4, 'input_received', { request_id: 'r-1', value: 'fix' })
    await nextFrame()
    expect(w.get('[data-testid=decided-text]').text()).toBe('1 of 2 decided')
    ask('t-1', 5, 1)
    ws.event('t-1', 6, 'input_received', { request_id: 'r-2', value: 'accept' })
    ws.event('t-1', 7, 'result', {
      data: {
        decisions: findings.map((f, i) => ({ ...f, decision: ['fix', 'accept'][i] })),
        undecided: [],
        timed_out: null,
      },
    })
    await nextFrame()
    expect(w.get('[data-testid=decided-text]').text()).toBe('2 of 2 decided')
    expect(w.get('[data-testid=progress]').attributes('value')).toBe('100')
  })

  it("takes n from the pending question's index when early events expired", async () => {
    const w = await mountMonitor('t-9')
    ws.reply('subscribe', { type: 'subscribe_success', task_id: 't-9', state: 'waiting_input' })
    // Seq 40: the answers before it are not in this log.
    ws.event('t-9', 40, 'input_request', {
      request_id: 'r-5',
      prompt: 'fifth',
      schema,
      timeout_ms: 60000,
      ts: Date.now(),
      context: { finding: findings[1], index: 5, count: 7 },
    })
    await flushPromises()
    await nextFrame()
    expect(w.get('[data-testid=decided-text]').text()).toBe('4 of 7 decided')
    expect(w.get('[data-testid=question-title]').text()).toBe('Question 5 of 7')
  })

  it('shows the count red on failure and grey on cancel', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    ws.event('t-1', 2, 'error', { code: 'internal', message: 'boom' })
    await nextFrame()
    expect(w.get('[data-testid=decided]').classes()).toContain('progress-failed')
    expect(w.get('[data-testid=decided-text]').text()).toBe('0 of 2 decided')

    await startTriage(w, 't-2')
    ask('t-2', 1, 0)
    ws.event('t-2', 2, 'stopped', { reason: 'stopped by user' })
    await nextFrame()
    expect(w.get('[data-testid=decided]').classes()).toContain('progress-cancelled')
  })
})

describe('the countdown', () => {
  it('says how long is left, each second, then that the question timed out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    vi.setSystemTime(1_700_000_000_000)
    const w = mount(InputCountdown, { props: { deadline: 1_700_000_000_000 + 272_000 } })
    expect(w.text()).toBe('Answer within 4:32')
    await vi.advanceTimersByTimeAsync(1000)
    expect(w.text()).toBe('Answer within 4:31')
    await vi.advanceTimersByTimeAsync(61_000)
    expect(w.text()).toBe('Answer within 3:30')
    expect(w.emitted('expired')).toBeUndefined()
    await vi.advanceTimersByTimeAsync(210_000)
    expect(w.text()).toBe('No answer in time: this question timed out.')
    expect(w.get('[data-testid=input-countdown]').attributes('data-expired')).toBe('true')
    expect(w.emitted('expired')).toHaveLength(1)
    expect(w.get('[data-testid=input-countdown]').attributes('role')).toBe('timer')
    w.unmount()
  })

  it('shows hours when the timeout is long, and nothing runs after unmount', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    vi.setSystemTime(0)
    const w = mount(InputCountdown, { props: { deadline: 3_723_000 } })
    expect(w.text()).toBe('Answer within 1:02:03')
    w.unmount()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('in the monitor: the deadline is the request ts + timeout_ms; its passing is announced', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0, { ts: Date.now() - 28_000, timeout_ms: 300_000 })
    await nextFrame()
    expect(w.get('[data-testid=input-countdown]').text()).toBe('Answer within 4:32')
    ask('t-1', 2, 1, { request_id: 'r-2', ts: Date.now(), timeout_ms: 300 })
    await nextFrame()
    expect(w.get('[data-testid=input-countdown]').text()).toBe('Answer within 0:01')
    await new Promise((r) => setTimeout(r, 450))
    await nextTick()
    expect(w.get('[data-testid=input-countdown]').text()).toBe('No answer in time: this question timed out.')
    expect(announced(w)).toBe('No answer in time: question 2 timed out.')
  })
})

describe('Stop, apart from the answers', () => {
  it('is last in the tab order, never next to an answer, and asks first', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    await nextFrame()
    const focusable = [...document.querySelectorAll<HTMLElement>('[data-testid=task] button, [data-testid=task] select, [data-testid=task] [tabindex="0"]')]
    const ids = focusable.map((e) => e.dataset.testid)
    const stop = ids.indexOf('stop')
    expect(stop).toBe(ids.length - 1)
    expect(ids[stop - 1]).not.toMatch(/^choice-/)
    expect(ids.filter((id) => id?.startsWith('choice-'))).toHaveLength(3)

    await w.get('[data-testid=stop]').trigger('click')
    await nextTick()
    expect(w.get('[data-testid=stop-confirm]').attributes('role')).toBe('group')
    expect(w.get('[data-testid=stop-confirm]').text()).toContain('Stop this task?')
    expect(w.get('[data-testid=stop-confirm]').text()).toContain('Findings not yet decided stay undecided.')
    expect(focusedTestId()).toBe('stop-no')
    // Escape keeps it running, and gives the keyboard back to Stop.
    await w.get('[data-testid=stop-confirm]').trigger('keydown', { key: 'Escape' })
    await nextTick()
    expect(w.find('[data-testid=stop-confirm]').exists()).toBe(false)
    expect(focusedTestId()).toBe('stop')
    // So does Keep running.
    await w.get('[data-testid=stop]').trigger('click')
    await w.get('[data-testid=stop-no]').trigger('click')
    await nextTick()
    expect(focusedTestId()).toBe('stop')
    expect(ws.lastSent('stop')).toBeUndefined()

    await w.get('[data-testid=stop]').trigger('click')
    await w.get('[data-testid=stop-yes]').trigger('click')
    expect(ws.lastSent('stop')).toMatchObject({ type: 'stop', task_id: 't-1' })
    ws.reply('stop', { type: 'stop_success', task_id: 't-1', state: 'cancelled' })
    ws.event('t-1', 2, 'stopped', { reason: 'stopped by user' })
    await flushPromises()
    await nextFrame()
    expect(w.find('[data-testid=stop-area]').exists()).toBe(false)
    expect(focusedTestId()).toBe('task-heading')
    expect(announced(w)).toBe('Task cancelled: stopped by user.')
  })
})

describe('announcements and focus', () => {
  it('follows a triage by keyboard: heading after Start, each next question, then the result', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    expect(focusedTestId()).toBe('task-heading')
    await nextTick()
    expect(announced(w)).toBe('triage task started.')
    expect(w.get('[data-testid=announcer]').attributes('aria-live')).toBe('polite')

    ws.event('t-1', 1, 'started', { task: 'triage', params: {} })
    ask('t-1', 2, 0)
    await nextFrame()
    await nextTick()
    expect(announced(w)).toBe(
      'Question 1 of 2: aws_access_key, high, in config/production.env:2. Answers: fix, accept, false positive.',
    )
    // The first question does not take the keyboard from where the user is.
    expect(focusedTestId()).toBe('task-heading')

    ;(w.get('[data-testid=choice-fix]').element as HTMLElement).focus()
    await w.get('[data-testid=choice-fix]').trigger('click')
    expect(ws.lastSent('input')).toMatchObject({ request_id: 'r-1', value: 'fix' })
    expect(focusedTestId()).toBe('decided')
    ws.reply('input', { type: 'input_success', task_id: 't-1', request_id: 'r-1' })
    ws.event('t-1', 3, 'input_received', { request_id: 'r-1', value: 'fix' })
    ask('t-1', 4, 1)
    await flushPromises()
    await nextFrame()
    expect(focusedTestId()).toBe('choice-fix')
    expect(w.get('[data-testid=question-title]').text()).toBe('Question 2 of 2')
    await nextTick()
    expect(announced(w)).toMatch(/^Question 2 of 2: generic_secret, medium, in app\/settings.py:14\./)

    await w.get('[data-testid=choice-accept]').trigger('click')
    ws.reply('input', { type: 'input_success', task_id: 't-1', request_id: 'r-2' })
    ws.event('t-1', 5, 'input_received', { request_id: 'r-2', value: 'accept' })
    ws.event('t-1', 6, 'result', {
      data: { decisions: findings.map((f, i) => ({ ...f, decision: ['fix', 'accept'][i] })), undecided: [], timed_out: null },
    })
    await flushPromises()
    await nextFrame()
    expect(focusedTestId()).toBe('result-heading')
    await nextTick()
    expect(announced(w)).toBe('Triage completed: 2 findings decided.')
  })

  it('says a timed-out triage ended with undecided findings, and a failure with its message', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    ws.event('t-1', 2, 'result', {
      data: {
        decisions: [],
        undecided: findings.map(({ rule, path, line, severity }) => ({ rule, path, line, severity })),
        timed_out: 'no answer to r-1 within 300000 ms',
      },
    })
    await nextFrame()
    await nextTick()
    expect(announced(w)).toBe('Triage ended: a question timed out. 0 decided, 2 left undecided.')
    expect(w.get('[data-testid=triage-timed-out]').text()).toContain('2 findings')

    await startTriage(w, 't-2')
    ws.event('t-2', 1, 'error', { code: 'tool_failed', message: 'scanner crashed' })
    await nextFrame()
    await nextTick()
    expect(announced(w)).toBe('Task failed: scanner crashed')
  })

  it('gives the keyboard back to the question when an answer is refused', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    await nextFrame()
    await w.get('[data-testid=choice-accept]').trigger('click')
    ws.reply('input', { type: 'error', code: 'no_pending_input', message: 'already answered' })
    await flushPromises()
    await nextTick()
    expect(w.get('[data-testid=action-error]').text()).toBe('no_pending_input: already answered')
    expect(focusedTestId()).toBe('choice-fix')
  })

  it('keeps the keyboard when a question is answered elsewhere, or the task ends under it', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    await nextFrame()
    ;(w.get('[data-testid=choice-accept]').element as HTMLElement).focus()
    // Another tab answers: the next question takes the keyboard.
    ws.event('t-1', 2, 'input_received', { request_id: 'r-1', value: 'fix' })
    ask('t-1', 3, 1)
    await nextFrame()
    await nextTick()
    expect(w.get('[data-testid=question-title]').text()).toBe('Question 2 of 2')
    expect(focusedTestId()).toBe('choice-fix')
    // The task fails while the keyboard is on an answer: to the heading.
    ws.event('t-1', 4, 'error', { code: 'internal', message: 'lost' })
    await nextFrame()
    await nextTick()
    expect(focusedTestId()).toBe('task-heading')
  })

  it('does not take the keyboard back from where the user went after answering', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    await nextFrame()
    await w.get('[data-testid=choice-fix]').trigger('click')
    ws.reply('input', { type: 'input_success', task_id: 't-1', request_id: 'r-1' })
    ws.event('t-1', 2, 'input_received', { request_id: 'r-1', value: 'fix' })
    await flushPromises()
    await nextFrame()
    // Meanwhile the user went on to the start form.
    ;(w.get('[data-testid=kind]').element as HTMLElement).focus()
    ask('t-1', 3, 1)
    await nextFrame()
    await nextTick()
    expect(focusedTestId()).toBe('kind')
  })

  it('moves the keyboard off Stop when the task ends while it asks', async () => {
    const w = await mountMonitor()
    await startTriage(w)
    ask('t-1', 1, 0)
    await nextFrame()
    await w.get('[data-testid=stop]').trigger('click')
    await nextTick()
    expect(focusedTestId()).toBe('stop-no')
    ws.event('t-1', 2, 'stopped', { reason: 'stopped elsewhere' })
    await nextFrame()
    await nextTick()
    expect(w.find('[data-testid=stop-area]').exists()).toBe(false)
    expect(focusedTestId()).toBe('task-heading')
  })
})
