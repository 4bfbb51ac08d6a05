import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { defineComponent, h, ref } from 'vue'
import TaskMonitor from '../../src/components/TaskMonitor.vue'
import InputForm from '../../src/components/InputForm.vue'
import { useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import { FakeWebSocket, nextFrame } from './fakes'
// A recorded `GET /api/kinds` of the server: the forms are built from it.
import kinds from './kinds.json'

let client: AgentStream
let ws: FakeWebSocket

// A parent that owns the selected task id, as App does.
async function mountMonitor(listed: unknown[] = kinds) {
  const Host = defineComponent({
    setup() {
      const id = ref<string | null>(null)
      return () => h(TaskMonitor, { client, taskId: id.value, 'onUpdate:taskId': (v: string | null) => (id.value = v) })
    },
  })
  const w = mount(Host)
  ws.reply('list_kinds', { type: 'kinds', kinds: listed })
  await flushPromises()
  return w
}

// A kind a plugin could add: its form and result view come from nothing but its schema and kind name.
const pluginKind = {
  name: 'report',
  description: 'A plugin kind.',
  params_schema: {
    type: 'object',
    properties: {
      title: { type: 'string', description: 'shown at the top' },
      format: { type: 'string', enum: ['md', 'html'], description: 'output format' },
      ratio: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
      draft: { type: 'boolean', default: true, description: 'mark as draft' },
    },
    required: ['title', 'format'],
  },
}

async function startTask(wrapper: Awaited<ReturnType<typeof mountMonitor>>, kind: string, taskId: string) {
  await wrapper.get('[data-testid=kind]').setValue(kind)
  await wrapper.get('[data-testid=start-form]').trigger('submit')
  ws.reply('start', { type: 'start_success', task_id: taskId, task: kind })
  await flushPromises()
}

const state = (w: Awaited<ReturnType<typeof mountMonitor>>) => w.get('[data-testid=task-state]').attributes('data-state')

beforeEach(() => {
  FakeWebSocket.reset()
  client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
  ws = FakeWebSocket.last
  ws.accept()
})
afterEach(() => client.disconnect())

describe('TaskMonitor', () => {
  it('builds each start form from the kinds the server lists', async () => {
    const w = await mountMonitor()
    expect(ws.lastSent('list_kinds')).toMatchObject({ type: 'list_kinds' })
    const options = w.findAll('[data-testid=kind] option').map((o) => o.text())
    expect(options).toEqual(kinds.map((k) => k.name))
    await w.get('[data-testid=kind]').setValue('triage')
    const severity = w.get('[data-testid=param-min_severity]')
    expect(severity.findAll('option').map((o) => o.text())).toEqual(['low', 'medium', 'high'])
    expect((severity.element as HTMLSelectElement).value).toBe('medium')
    expect((w.get('[data-testid=param-input_timeout_ms]').element as HTMLInputElement).value).toBe('300000')
  })

  it('starts a task with the form parameters', async () => {
    const w = await mountMonitor()
    await w.get('[data-testid=kind]').setValue('ticker')
    await w.get('[data-testid=param-steps]').setValue('3')
    await w.get('[data-testid=param-interval_ms]').setValue('10')
    await w.get('[data-testid=start-form]').trigger('submit')
    expect(ws.lastSent('start')).toMatchObject({ task: 'ticker', params: { steps: 3, interval_ms: 10 } })
  })

  it('shows each param with its description as help text and its bounds', async () => {
    const w = await mountMonitor()
    await w.get('[data-testid=kind]').setValue('ticker')
    const help = w.get('[data-testid=param-steps-help]')
    expect(help.text()).toBe('how many progress events (0 to 1000000)')
    const steps = w.get('[data-testid=param-steps]')
    expect(steps.attributes('aria-describedby')).toBe(help.attributes('id'))
    expect(steps.attributes('min')).toBe('0')
    expect(steps.attributes('max')).toBe('1000000')
    expect(w.get(`label[for="${steps.attributes('id')}"]`).text()).toBe('steps')
  })

  it('refuses a param out of its bounds next to the field, without starting', async () => {
    const w = await mountMonitor()
    await w.get('[data-testid=kind]').setValue('ticker')
    await w.get('[data-testid=param-steps]').setValue('2000000')
    await w.get('[data-testid=param-interval_ms]').setValue('1.5')
    await w.get('[data-testid=start-form]').trigger('submit')
    expect(ws.lastSent('start')).toBeUndefined()
    expect(w.get('[data-testid=param-steps-error]').text()).toBe('steps must be at most 1000000')
    expect(w.get('[data-testid=param-interval_ms-error]').text()).toBe('interval_ms must be a whole number')
    expect(w.get('[data-testid=param-steps]').attributes('aria-invalid')).toBe('true')
    await w.get('[data-testid=param-steps]').setValue('5')
    await w.get('[data-testid=param-interval_ms]').setValue('0')
    await w.get('[data-testid=start-form]').trigger('submit')
    expect(w.find('[data-testid=param-steps-error]').exists()).toBe(false)
    expect(ws.lastSent('start')).toMatchObject({ task: 'ticker', params: { steps: 5, interval_ms: 0 } })
  })

  it('keeps what was typed for each kind while another kind is picked', async () => {
    const w = await mountMonitor()
    await w.get('[data-testid=kind]').setValue('ticker')
    await w.get('[data-testid=param-steps]').setValue('7')
    await w.get('[data-testid=kind]').setValue('audit')
    expect(w.find('[data-testid=param-steps]').exists()).toBe(false)
    await w.get('[data-testid=kind]').setValue('ticker')
    expect((w.get('[data-testid=param-steps]').element as HTMLInputElement).value).toBe('7')
  })

  it('builds the form of a kind it has never heard of from its schema', async () => {
    const w = await mountMonitor([...kinds, pluginKind])
    await w.get('[data-testid=kind]').setValue('report')
    const format = w.get('[data-testid=param-format]')
    expect(format.element.tagName).toBe('SELECT')
    expect(format.findAll('option').map((o) => o.text())).toEqual(['choose…', 'md', 'html'])
    expect(format.attributes('aria-required')).toBe('true')
    expect((w.get('[data-testid=param-draft]').element as HTMLInputElement).checked).toBe(true)
    expect(w.get('[data-testid=param-draft-help]').text()).toBe('mark as draft')
    expect(w.get('[data-testid=param-ratio-help]').text()).toBe('0 to 1')

    await w.get('[data-testid=start-form]').trigger('submit')
    expect(ws.lastSent('start')).toBeUndefined()
    expect(w.get('[data-testid=param-title-error]').text()).toBe('title is required')
    expect(w.get('[data-testid=param-format-error]').text()).toBe('format is required')

    await w.get('[data-testid=param-title]').setValue('Q3')
    await w.get('[data-testid=param-format]').setValue('html')
    await w.get('[data-testid=param-ratio]').setValue('0.25')
    await w.get('[data-testid=param-draft]').setValue(false)
    await w.get('[data-testid=start-form]').trigger('submit')
    expect(ws.lastSent('start')).toMatchObject({
      task: 'report',
      params: { title: 'Q3', format: 'html', ratio: 0.25, draft: false },
    })
  })

  it("chooses the result view by the task's kind: a ticker's result is a tree", async () => {
    const w = await mountMonitor()
    await startTask(w, 'ticker', 't-5')
    ws.event('t-5', 1, 'started', { task: 'ticker', params: { steps: 3, interval_ms: 10 } })
    ws.event('t-5', 2, 'result', { data: { steps: 3 } })
    await nextFrame()
    expect(w.get('[data-testid=task-result]').attributes('data-view')).toBe('tree')
    const steps = w.get("[data-testid=result-tree] [data-testid=tree-node][data-path='steps']")
    expect(steps.get('[data-testid=tree-value]').text()).toBe('3')
    expect(w.find('[data-testid=audit-result]').exists()).toBe(false)
  })

  it('shows a result shaped like an audit as a tree when its kind is not audit', async () => {
    const w = await mountMonitor([...kinds, pluginKind])
    await w.get('[data-testid=kind]').setValue('report')
    await w.get('[data-testid=param-title]').setValue('x')
    await w.get('[data-testid=param-format]').setValue('md')
    await w.get('[data-testid=start-form]').trigger('submit')
    ws.reply('start', { type: 'start_success', task_id: 't-6', task: 'report' })
    await flushPromises()
    ws.event('t-6', 1, 'started', { task: 'report', params: {} })
    ws.event('t-6', 2, 'result', {
      data: { files_scanned: 1, bytes_scanned: 1, findings: [], counts: {}, decisions: [] },
    })
    await nextFrame()
    expect(w.get('[data-testid=task-result]').attributes('data-view')).toBe('tree')
    expect(w.find('[data-testid=audit-result]').exists()).toBe(false)
    expect(w.find('[data-testid=decisions-table]').exists()).toBe(false)
    expect(w.find("[data-testid=tree-node][data-path='findings']").exists()).toBe(true)
  })

  it('falls back to the tree when an audit result lacks its fields', async () => {
    const w = await mountMonitor()
    await startTask(w, 'audit', 't-7')
    ws.event('t-7', 1, 'started', { task: 'audit', params: {} })
    ws.event('t-7', 2, 'result', { data: { files_scanned: 2, findings: 'not a list' } })
    await nextFrame()
    expect(state(w)).toBe('completed')
    expect(w.get('[data-testid=task-result]').attributes('data-view')).toBe('tree')
    expect(w.get("[data-testid=tree-node][data-path='findings'] [data-testid=tree-value]").text()).toBe('"not a list"')
  })

  it('shows the triage flow: running, waiting for input, buttons, running, completed', async () => {
    const w = await mountMonitor()
    await startTask(w, 'triage', 't-1')
    expect(w.get('[data-testid=task-id]').text()).toBe('t-1')
    expect(state(w)).toBe('running')

    ws.event('t-1', 1, 'started', { task: 'triage', params: { path: '.' } })
    ws.event('t-1', 2, 'progress', { step: 1, total: 4, message: 'scanning' })
    await nextFrame()
    expect(w.get('[data-testid=progress-text]').text()).toContain('1 / 4')
    expect(w.get('[data-testid=progress]').attributes('value')).toBe('25')

    ws.event('t-1', 3, 'input_request', {
      request_id: 'r-1',
      prompt: 'aws_access_key in config/app.env:2',
      schema: { type: 'string', enum: ['fix', 'accept', 'false_positive'] },
      timeout_ms: 300000,
    })
    await nextFrame()
    expect(state(w)).toBe('waiting_input')
    expect(w.get('[data-testid=task-state]').text()).toBe('waiting for input')
    expect(w.get('[data-testid=input-prompt]').text()).toContain('aws_access_key')
    const buttons = w.findAll('[data-testid=input-form] button')
    expect(buttons.map((b) => b.text())).toEqual(['fix', 'accept', 'false positive'])

    await w.get('[data-testid=choice-false_positive]').trigger('click')
    expect(ws.lastSent('input')).toMatchObject({ task_id: 't-1', request_id: 'r-1', value: 'false_positive' })
    ws.reply('input', { type: 'input_success', task_id: 't-1', request_id: 'r-1' })
    ws.event('t-1', 4, 'input_received', { request_id: 'r-1', value: 'false_positive' })
    await nextFrame()
    expect(w.find('[data-testid=input-form]').exists()).toBe(false)
    expect(state(w)).toBe('running')

    ws.event('t-1', 5, 'result', {
      data: {
        decisions: [{ rule: 'aws_access_key', path: 'config/app.env', line: 2, severity: 'high', decision: 'false_positive' }],
        counts: { fix: 0, accept: 0, false_positive: 1 },
      },
    })
    await nextFrame()
    expect(state(w)).toBe('completed')
    expect(w.find('[data-testid=stop]').exists()).toBe(false)
    const rows = w.findAll('[data-testid=decision-row]')
    expect(rows).toHaveLength(1)
    expect(rows[0].text()).toContain('false positive')
    expect(w.findAll('[data-testid=event-row]').map((r) => r.attributes('data-seq'))).toEqual(['1', '2', '3', '4', '5'])
  })

  it('shows an audit result as a table of findings, most severe first', async () => {
    const w = await mountMonitor()
    await startTask(w, 'audit', 't-2')
    ws.event('t-2', 1, 'started', { task: 'audit', params: {} })
    ws.event('t-2', 2, 'result', {
      data: {
        files_scanned: 6,
        bytes_scanned: 512,
        findings: [
          { rule: 'generic_secret', severity: 'medium', path: 'b.yml', line: 3, excerpt: 'password = "****"' },
          { rule: 'aws_access_key', severity: 'high', path: 'a.env', line: 2, excerpt: 'AKIA****' },
          { rule: 'large_file', severity: 'low', path: 'big.bin', line: 0 },
        ],
        counts: { high: 1, medium: 1, low: 1 },
      },
    })
    await nextFrame()
    expect(state(w)).toBe('completed')
    expect(w.get('[data-testid=audit-summary]').text()).toContain('6 files scanned')
    const rows = w.findAll('[data-testid=finding-row]')
    expect(rows.map((r) => r.attributes('data-severity'))).toEqual(['high', 'medium', 'low'])
    expect(rows[0].text()).toContain('aws_access_key')
    expect(rows[0].text()).toContain('a.env')
    expect(w.get('[data-testid=progress]').attributes('value')).toBe('100')
  })

  it('stops a task and shows it cancelled', async () => {
    const w = await mountMonitor()
    await startTask(w, 'ticker', 't-3')
    ws.event('t-3', 1, 'started', { task: 'ticker', params: {} })
    await nextFrame()
    // Asked twice: the first press only opens the confirmation.
    await w.get('[data-testid=stop]').trigger('click')
    expect(ws.lastSent('stop')).toBeUndefined()
    await w.get('[data-testid=stop-yes]').trigger('click')
    expect(ws.lastSent('stop')).toMatchObject({ task_id: 't-3' })
    ws.reply('stop', { type: 'stop_success', task_id: 't-3', state: 'cancelled' })
    ws.event('t-3', 2, 'stopped', { reason: 'stopped by user' })
    await nextFrame()
    expect(state(w)).toBe('cancelled')
    expect(w.get('[data-testid=task-cancelled]').text()).toContain('stopped by user')
  })

  it('shows a failed task and a rejected command plainly', async () => {
    const w = await mountMonitor()
    await w.get('[data-testid=param-path]').setValue('../etc')
    await w.get('[data-testid=start-form]').trigger('submit')
    ws.reply('start', { type: 'error', code: 'invalid_params', message: 'path leaves the workspace' })
    await flushPromises()
    expect(w.get('[data-testid=action-error]').text()).toBe('invalid_params: path leaves the workspace')

    await startTask(w, 'audit', 't-4')
    ws.event('t-4', 1, 'started', { task: 'audit', params: {} })
    ws.event('t-4', 2, 'error', { code: 'tool_failed', message: 'scanner crashed' })
    await nextFrame()
    expect(state(w)).toBe('failed')
    expect(w.get('[data-testid=task-error]').text()).toContain('scanner crashed')
    expect(w.get('[data-testid=task-error]').text()).toContain('tool_failed')
  })
})

describe('InputForm', () => {
  it('turns a boolean into Yes/No', async () => {
    const w = mount(InputForm, { props: { schema: { type: 'boolean' }, prompt: 'ok?' } })
    await w.get('[data-testid=choice-false]').trigger('click')
    expect(w.emitted('submit')![0]).toEqual([false])
  })

  it('sends numbers as numbers', async () => {
    const w = mount(InputForm, { props: { schema: { type: 'integer' }, prompt: 'how many?' } })
    await w.get('[data-testid=input-value]').setValue('42')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.emitted('submit')![0]).toEqual([42])
  })

  it('builds an object from its properties', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, count: { type: 'integer' }, mode: { enum: ['a', 'b'] } },
      required: ['name'],
    }
    const w = mount(InputForm, { props: { schema, prompt: 'details' } })
    await w.get('[data-testid=field-name]').setValue('x')
    await w.get('[data-testid=field-count]').setValue('3')
    await w.get('[data-testid=field-mode]').setValue('b')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.emitted('submit')![0]).toEqual([{ name: 'x', count: 3, mode: 'b' }])
  })

  it('checks bounds and shows descriptions, with the same fields as the start form', async () => {
    const schema = {
      type: 'object',
      properties: {
        count: { type: 'integer', minimum: 1, maximum: 5, default: 2, description: 'how many' },
        mode: { enum: ['a', 'b'], default: 'a' },
      },
    }
    const w = mount(InputForm, { props: { schema, prompt: 'details' } })
    expect(w.get('[data-testid=field-count-help]').text()).toBe('how many (1 to 5)')
    expect((w.get('[data-testid=field-count]').element as HTMLInputElement).value).toBe('2')
    await w.get('[data-testid=field-count]').setValue('9')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.emitted('submit')).toBeUndefined()
    expect(w.get('[data-testid=field-count-error]').text()).toBe('count must be at most 5')
    await w.get('[data-testid=field-count]').setValue('4')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.emitted('submit')![0]).toEqual([{ count: 4, mode: 'a' }])
    expect(w.find('[data-testid=field-count-error]').exists()).toBe(false)
  })

  it('checks a single number against its bounds', async () => {
    const w = mount(InputForm, { props: { schema: { type: 'integer', minimum: 0, description: 'retries' }, prompt: 'how many?' } })
    expect(w.get('[data-testid=input-help]').text()).toBe('retries (at least 0)')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.get('[data-testid=input-error]').text()).toBe('a value is required')
    await w.get('[data-testid=input-value]').setValue('-1')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.get('[data-testid=input-error]').text()).toBe('The value must be at least 0')
    expect(w.emitted('submit')).toBeUndefined()
  })

  it('falls back to JSON and reports bad JSON', async () => {
    const w = mount(InputForm, { props: { schema: {}, prompt: 'anything' } })
    await w.get('[data-testid=input-json]').setValue('{oops')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.get('[data-testid=input-error]').text()).toBe('not valid JSON')
    await w.get('[data-testid=input-json]').setValue('[1,2]')
    await w.get('[data-testid=input-send]').trigger('click')
    expect(w.emitted('submit')![0]).toEqual([[1, 2]])
  })
})
