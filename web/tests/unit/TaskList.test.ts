// The task history list against a fake WebSocket: the list_tasks it sends
// for each filter and page, what it shows of each task, and how a row opens.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import TaskList from '../../src/components/TaskList.vue'
import App from '../../src/App.vue'
import { useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import type { TaskSummary } from '../../src/protocol'
import { FakeWebSocket, nextFrame } from './fakes'
import kinds from './kinds.json'

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0)
const s = 1000
const min = 60 * s

let client: AgentStream
let ws: FakeWebSocket
const mounted: VueWrapper[] = []

function row(id: string, over: Partial<TaskSummary> = {}): TaskSummary {
  return {
    task_id: id,
    task: 'ticker',
    state: 'completed',
    created_ms: NOW - 3 * min,
    last_seq: 12,
    ended_ms: NOW - 3 * min + 850,
    duration_ms: 850,
    node: 'local',
    ...over,
  }
}

function mountList(props: Record<string, unknown> = {}) {
  const w = mount(TaskList, { props: { client, selected: null, pollMs: 0, pageSize: 2, ...props } })
  mounted.push(w)
  return w
}

/** Answers the last list_tasks. */
async function answer(tasks: TaskSummary[], next_cursor?: string) {
  ws.reply('list_tasks', { type: 'tasks', tasks, ...(next_cursor ? { next_cursor } : {}) })
  await flushPromises()
}

/** Answers the last query for the tasks waiting for input. */
async function answerWaiting(tasks: TaskSummary[], next_cursor?: string) {
  const req = [...ws.sent].reverse().find((m) => m.type === 'list_tasks' && m.state === 'waiting_input' && m.limit === 100)
  if (!req) throw new Error('no waiting query sent')
  ws.receive({ type: 'tasks', reply_to: req.id, tasks, ...(next_cursor ? { next_cursor } : {}) })
  await flushPromises()
}

const STATUS = {
  type: 'status',
  node: 'local',
  server: 'switchboard/0.1.0',
  history: 'sqlite',
  retention_ms: 7 * 24 * 3600 * s,
  max_tasks_kept: 100000,
  tasks: { running: 0, waiting_input: 0, failed_last_hour: 0 },
  events_total: 0,
  ts: NOW,
  draining: false,
}

const waitingRow = (id: string, over: Partial<TaskSummary> = {}) =>
  row(id, { task: 'triage', state: 'waiting_input', ended_ms: null, duration_ms: null, ...over })

/** The list_tasks fields the client sent last, without its id. */
function lastListRequest() {
  const { id: _id, ...rest } = ws.lastSent('list_tasks')
  return rest
}

const rowIds = (w: VueWrapper) => w.findAll('[data-testid=task-row]').map((r) => r.attributes('data-task-id'))

beforeEach(() => {
  // Only the clock: flushPromises needs the real timers.
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  FakeWebSocket.reset()
  client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
  ws = FakeWebSocket.last
  ws.accept()
})
afterEach(() => {
  while (mounted.length) mounted.pop()!.unmount()
  client.disconnect()
  document.title = 'Switchboard'
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('TaskList', () => {
  it('asks for the first page and shows each task: id, kind, state, created, duration, node, seq', async () => {
    const w = mountList()
    expect(lastListRequest()).toEqual({ type: 'list_tasks', limit: 2 })
    expect(w.find('[data-testid=tasks-loading]').exists()).toBe(true)
    await answer([
      row('t-46f2c192ca2e5d19ba3b616ad0211a23', { state: 'running', created_ms: NOW - 12 * s, ended_ms: null, duration_ms: null, last_seq: 5, node: 'n2' }),
      row('t-2', { state: 'failed', duration_ms: 3 * min + 4 * s + 100 }),
    ])
    const rows = w.findAll('[data-testid=task-row]')
    expect(rows).toHaveLength(2)
    const first = rows[0]
    expect(first.get('[data-testid=row-id]').text()).toBe('t-46f2c192…')
    expect(first.get('[data-testid=row-id]').attributes('title')).toBe('t-46f2c192ca2e5d19ba3b616ad0211a23')
    expect(first.get('[data-testid=row-kind]').text()).toBe('ticker')
    expect(first.get('[data-testid=row-state]').text()).toBe('running')
    expect(first.get('[data-testid=row-state]').classes()).toContain('state-running')
    expect(first.get('[data-testid=row-created]').text()).toBe('12 s ago')
    // A running task: the time so far.
    expect(first.get('[data-testid=row-duration]').text()).toBe('12 s so far')
    expect(first.get('[data-testid=row-duration]').attributes('data-running')).toBe('true')
    expect(first.get('[data-testid=row-node]').text()).toBe('n2')
    expect(first.get('[data-testid=row-seq]').text()).toBe('5')

    const second = rows[1]
    expect(second.get('[data-testid=row-state]').text()).toBe('failed')
    expect(second.get('[data-testid=row-created]').text()).toBe('3 min ago')
    expect(second.get('[data-testid=row-created]').attributes('title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(second.get('[data-testid=row-created] time').attributes('datetime')).toBe(new Date(NOW - 3 * min).toISOString())
    expect(second.get('[data-testid=row-duration]').text()).toBe('3 min 4 s')
    expect(second.get('[data-testid=row-duration]').attributes('data-running')).toBeUndefined()
  })

  it('is a labelled table with labelled filters and keyboard-reachable rows', async () => {
    const w = mountList()
    await answer([row('t-1')])
    const section = w.get('[data-testid=task-list]')
    const heading = w.get('h2')
    expect(section.attributes('aria-labelledby')).toBe(heading.attributes('id'))
    expect(w.get('table caption').text()).toContain('Task history')
    expect(w.findAll('th').every((th) => th.attributes('scope') === 'col')).toBe(true)
    expect(w.get('[data-testid=filter-state]').element.closest('label')!.textContent).toContain('State')
    expect(w.get('[data-testid=filter-kind]').element.closest('label')!.textContent).toContain('Kind')
    expect(w.get('[data-testid=task-row]').attributes('tabindex')).toBe('0')
    expect(w.get('[data-testid=copy-id]').attributes('aria-label')).toBe('Copy task id t-1')
  })

  it('shows "No tasks yet", and "No tasks match these filters" when filtered', async () => {
    const w = mountList()
    await answer([])
    expect(w.get('[data-testid=tasks-empty]').text()).toBe('No tasks yet.')
    expect(w.find('table').exists()).toBe(false)
    await w.get('[data-testid=filter-state]').setValue('failed')
    await answer([])
    expect(w.get('[data-testid=tasks-empty]').text()).toBe('No tasks match these filters.')
  })

  it('sends the state and kind filters, and starts over from the first page on each change', async () => {
    client.kinds.value = kinds
    const w = mountList()
    await answer([row('t-1'), row('t-2', { task: 'plugin_kind' })], 'c2')
    // The kinds the server runs, and any other the history names.
    const kindOptions = w.findAll('[data-testid=filter-kind] option').map((o) => o.attributes('value'))
    expect(kindOptions).toEqual(['', ...[...kinds.map((k) => k.name), 'plugin_kind'].sort()])
    const stateOptions = w.findAll('[data-testid=filter-state] option')
    expect(stateOptions.map((o) => o.attributes('value'))).toEqual(['', 'running', 'waiting_input', 'completed', 'failed', 'cancelled'])
    expect(stateOptions.map((o) => o.text())).toContain('waiting for input')

    await w.get('[data-testid=filter-state]').setValue('failed')
    expect(lastListRequest()).toEqual({ type: 'list_tasks', state: 'failed', limit: 2 })
    // The old rows go at once; the new page replaces them.
    expect(w.findAll('[data-testid=task-row]')).toHaveLength(0)
    await answer([row('t-7', { state: 'failed', task: 'audit' })])
    expect(rowIds(w)).toEqual(['t-7'])
    expect(w.find('[data-testid=tasks-more]').exists()).toBe(false)

    await w.get('[data-testid=filter-kind]').setValue('audit')
    expect(lastListRequest()).toEqual({ type: 'list_tasks', state: 'failed', kind: 'audit', limit: 2 })
    await answer([row('t-7', { state: 'failed', task: 'audit' })])

    await w.get('[data-testid=filter-state]').setValue('')
    expect(lastListRequest()).toEqual({ type: 'list_tasks', kind: 'audit', limit: 2 })
  })

  it('drops the reply to a request a newer one replaced', async () => {
    const w = mountList()
    const first = ws.lastSent('list_tasks')
    await w.get('[data-testid=filter-state]').setValue('completed')
    // The unfiltered reply arrives late: ignored.
    ws.receive({ type: 'tasks', reply_to: first.id, tasks: [row('t-old', { state: 'running' })] })
    await answer([row('t-new')])
    expect(rowIds(w)).toEqual(['t-new'])
  })

  it('loads the next page with next_cursor and appends it, until the last page', async () => {
    const w = mountList()
    await answer([row('t-4', { created_ms: NOW - 1000 }), row('t-3', { created_ms: NOW - 2000 })], 'c3')
    expect(w.get('[data-testid=tasks-count]').text()).toBe('2 tasks, more older')
    await w.get('[data-testid=tasks-more]').trigger('click')
    expect(lastListRequest()).toEqual({ type: 'list_tasks', limit: 2, cursor: 'c3' })
    expect(w.get('[data-testid=tasks-more]').attributes('disabled')).toBeDefined()
    // A task seen twice (it moved between pages) is shown once.
    await answer([row('t-3', { created_ms: NOW - 2000 }), row('t-2', { created_ms: NOW - 3000 })], 'c2')
    expect(rowIds(w)).toEqual(['t-4', 't-3', 't-2'])
    expect(w.get('[data-testid=tasks-announce]').text()).toBe('1 more task shown')

    await w.get('[data-testid=filter-kind]').setValue('ticker')
    await answer([row('t-4', { created_ms: NOW - 1000 }), row('t-3', { created_ms: NOW - 2000 })], 'k3')
    await w.get('[data-testid=tasks-more]').trigger('click')
    expect(lastListRequest()).toEqual({ type: 'list_tasks', kind: 'ticker', limit: 2, cursor: 'k3' })
    await answer([row('t-1', { created_ms: NOW - 4000 })])
    expect(rowIds(w)).toEqual(['t-4', 't-3', 't-1'])
    expect(w.find('[data-testid=tasks-more]').exists()).toBe(false)
    expect(w.get('[data-testid=tasks-count]').text()).toBe('3 tasks')
  })

  it('Refresh starts over from the first page', async () => {
    const w = mountList()
    await answer([row('t-4'), row('t-3')], 'c3')
    await w.get('[data-testid=tasks-more]').trigger('click')
    await answer([row('t-2')])
    expect(rowIds(w)).toHaveLength(3)
    await w.get('[data-testid=tasks-refresh]').trigger('click')
    expect(lastListRequest()).toEqual({ type: 'list_tasks', limit: 2 })
    await answer([row('t-5'), row('t-4')], 'c4')
    expect(rowIds(w)).toEqual(['t-5', 't-4'])
    expect(w.find('[data-testid=tasks-more]').exists()).toBe(true)
  })

  it('re-reads the pages it shows every pollMs', async () => {
    vi.useRealTimers() // a second useFakeTimers() would keep the first's set
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
    vi.setSystemTime(NOW)
    const w = mountList({ pollMs: 3000 })
    await answer([row('t-4', { state: 'running', ended_ms: null, duration_ms: null }), row('t-3')], 'c3')
    await w.get('[data-testid=tasks-more]').trigger('click')
    await answer([row('t-2')], 'c2')
    await answerWaiting([])
    const before = ws.sent.filter((m) => m.type === 'list_tasks').length
    vi.advanceTimersByTime(3000)
    // Every page shown, at once, and the waiting tasks before them.
    expect(ws.sent.filter((m) => m.type === 'list_tasks').length).toBe(before + 2)
    expect(ws.sent.filter((m) => m.type === 'list_tasks').at(-2)).toMatchObject({ state: 'waiting_input', limit: 100 })
    expect(lastListRequest()).toEqual({ type: 'list_tasks', limit: 4 })
    await answer([row('t-5', { state: 'running', ended_ms: null, duration_ms: null }), row('t-4'), row('t-3'), row('t-2')], 'c2')
    expect(rowIds(w)).toEqual(['t-5', 't-4', 't-3', 't-2'])
    expect(w.findAll('[data-testid=row-state]').map((c) => c.text())).toEqual(['running', 'completed', 'completed', 'completed'])
  })

  it('opens a task on click and on Enter, not on the copy button', async () => {
    const w = mountList()
    await answer([row('t-1'), row('t-2')])
    await w.findAll('[data-testid=task-row]')[1].trigger('click')
    expect(w.emitted('select')).toEqual([['t-2']])
    await w.findAll('[data-testid=task-row]')[0].trigger('keydown', { key: 'Enter' })
    expect(w.emitted('select')).toEqual([['t-2'], ['t-1']])

    const writeText = vi.fn(() => Promise.resolve())
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } })
    const copy = w.findAll('[data-testid=copy-id]')[0]
    await copy.trigger('keydown', { key: 'Enter' })
    await copy.trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith('t-1')
    expect(copy.attributes('data-copied')).toBe('true')
    expect(copy.attributes('title')).toBe('Copied')
    expect(w.get('[data-testid=tasks-announce]').text()).toBe('Task id t-1 copied')
    expect(w.emitted('select')).toHaveLength(2)
  })

  it('marks the selected row', async () => {
    const w = mountList({ selected: 't-2' })
    await answer([row('t-1'), row('t-2')])
    const rows = w.findAll('[data-testid=task-row]')
    expect(rows[1].classes()).toContain('selected')
    expect(rows[1].attributes('aria-current')).toBe('true')
    expect(rows[0].attributes('aria-current')).toBeUndefined()
  })

  it("takes the state of a task this page follows from its events, and hides it when it leaves the filter", async () => {
    const w = mountList()
    await answer([row('t-1', { state: 'running', created_ms: NOW - 2000, ended_ms: null, duration_ms: null, last_seq: 1 })])
    const watching = client.watch('t-1')
    ws.reply('subscribe', { type: 'subscribe_success', task_id: 't-1', state: 'running' })
    ws.receive({ type: 'result', task_id: 't-1', seq: 2, ts: NOW - 500, data: {} })
    await watching
    await flushPromises()
    const r = w.get('[data-testid=task-row]')
    expect(r.attributes('data-state')).toBe('completed')
    expect(r.get('[data-testid=row-duration]').text()).toBe('1.5 s')
    expect(r.get('[data-testid=row-seq]').text()).toBe('2')

    await w.get('[data-testid=filter-state]').setValue('running')
    // The server's page is a poll behind: this page knows it ended.
    await answer([row('t-1', { state: 'running', created_ms: NOW - 2000, ended_ms: null, duration_ms: null, last_seq: 1 })])
    expect(w.findAll('[data-testid=task-row]')).toHaveLength(0)
    expect(w.get('[data-testid=tasks-empty]').text()).toBe('No tasks match these filters.')
  })

  it('shows a task this page started before the server lists it', async () => {
    const w = mountList()
    await answer([row('t-1', { created_ms: NOW - 60_000 })])
    const started = client.start('ticker', {})
    ws.reply('start', { type: 'start_success', task_id: 't-9', task: 'ticker', events: '/api/tasks/t-9/events' })
    await expect(started).resolves.toBe('t-9')
    await flushPromises()
    expect(rowIds(w)).toEqual(['t-9', 't-1'])
    expect(w.get('[data-testid=task-row]').attributes('data-state')).toBe('running')
  })

  it('shows an error reply with its code', async () => {
    const w = mountList()
    ws.reply('list_tasks', { type: 'error', code: 'storage_unavailable', message: 'the task history cannot be read' })
    await flushPromises()
    expect(w.get('[data-testid=tasks-error]').text()).toBe('storage_unavailable: the task history cannot be read')
    expect(w.get('[data-testid=tasks-error]').attributes('role')).toBe('alert')
  })
})

describe('TaskList: waiting tasks, id search, retention', () => {
  it('pins the tasks waiting for input on top, whatever the filters and pages, and counts them in the title', async () => {
    const w = mountList()
    const first = ws.sent.find((m) => m.type === 'list_tasks')
    expect(first).toMatchObject({ type: 'list_tasks', state: 'waiting_input', limit: 100 })
    await answer([row('t-3', { created_ms: NOW - 1000 }), row('t-2', { created_ms: NOW - 2000 })], 'c2')
    // An older waiting task, not on the first page.
    await answerWaiting([waitingRow('t-old', { created_ms: NOW - 3 * 3600 * s })])
    expect(rowIds(w)).toEqual(['t-old', 't-3', 't-2'])
    expect(w.get('[data-testid=group-head-waiting]').text()).toBe('Waiting for input (1)')
    expect(w.get('[data-testid=group-head-waiting] th').attributes('scope')).toBe('colgroup')
    expect(w.get('[data-testid=group-head-others]').text()).toBe('Other tasks')
    const pinnedRow = w.get('[data-testid=task-row][data-task-id=t-old]')
    expect(pinnedRow.attributes('data-pinned')).toBe('true')
    expect(pinnedRow.get('[data-testid=row-state]').text()).toBe('waiting for input')
    expect(w.get('table caption').text()).toContain('tasks waiting for input first')
    expect(document.title).toBe('(1 waiting) Switchboard')

    // A filter that leaves no other row: the waiting task stays.
    await w.get('[data-testid=filter-state]').setValue('failed')
    await answer([])
    expect(rowIds(w)).toEqual(['t-old'])
    expect(w.get('[data-testid=tasks-group-empty]').text()).toBe('No other tasks match these filters.')
    expect(w.get('[data-testid=tasks-count]').text()).toBe('0 tasks')

    // A waiting row on a loaded page shows once, in the group above.
    await w.get('[data-testid=filter-state]').setValue('')
    await answer([waitingRow('t-4', { created_ms: NOW - 500 }), row('t-3', { created_ms: NOW - 1000 })], 'c3')
    expect(rowIds(w)).toEqual(['t-4', 't-old', 't-3'])
    expect(w.get('[data-testid=group-head-waiting]').text()).toBe('Waiting for input (2)')
    expect(document.title).toBe('(2 waiting) Switchboard')
    w.unmount()
    mounted.pop()
    expect(document.title).toBe('Switchboard')
  })

  it('pins a task this page follows as soon as it asks, and unpins it when answered; the title follows', async () => {
    const w = mountList()
    await answer([row('t-1', { created_ms: NOW - 60_000 })])
    await answerWaiting([])
    expect(w.find('[data-testid=group-head-waiting]').exists()).toBe(false)
    expect(w.find('[data-testid=group-head-others]').exists()).toBe(false)
    expect(document.title).toBe('Switchboard')
    const started = client.start('triage', {})
    ws.reply('start', { type: 'start_success', task_id: 't-9', task: 'triage', events: '/api/tasks/t-9/events' })
    await started
    ws.event('t-9', 1, 'started', { task: 'triage', params: {} })
    ws.event('t-9', 2, 'input_request', { request_id: 'r-1', prompt: 'Fix?', schema: { enum: ['fix', 'ignore'] }, timeout_ms: 60000 })
    await nextFrame()
    expect(rowIds(w)).toEqual(['t-9', 't-1'])
    expect(w.get('[data-testid=task-row][data-task-id=t-9]').attributes('data-pinned')).toBe('true')
    expect(document.title).toBe('(1 waiting) Switchboard')
    ws.event('t-9', 3, 'input_received', { request_id: 'r-1', value: 'fix' })
    await nextFrame()
    expect(w.find('[data-testid=group-head-waiting]').exists()).toBe(false)
    expect(w.get('[data-testid=task-row][data-task-id=t-9]').attributes('data-state')).toBe('running')
    expect(document.title).toBe('Switchboard')
  })

  it('says "N+" when more tasks wait than one query reads', async () => {
    const w = mountList()
    await answer([])
    await answerWaiting([waitingRow('t-a'), waitingRow('t-b')], 'more')
    expect(w.get('[data-testid=group-head-waiting]').text()).toBe('Waiting for input (2+)')
    expect(document.title).toBe('(2+ waiting) Switchboard')
    expect(w.get('[data-testid=tasks-group-empty]').text()).toBe('No other tasks.')
  })

  it('narrows the rows by id and offers to open a whole id it does not show', async () => {
    const w = mountList({ pageSize: 10 })
    await answer([row('t-a1b2', { created_ms: NOW - 1000 }), row('t-c3d4', { created_ms: NOW - 2000 }), row('t-a1ff', { created_ms: NOW - 3000 })])
    await answerWaiting([waitingRow('t-wa1t', { created_ms: NOW - 500 })])
    const box = w.get('[data-testid=task-search]')
    expect(box.element.closest('label')!.textContent).toContain('Find id')
    await box.setValue('A1')
    expect(rowIds(w)).toEqual(['t-wa1t', 't-a1b2', 't-a1ff'])
    // The count is of the rows the filters let through; the waiting group says its own.
    expect(w.get('[data-testid=tasks-count]').text()).toBe('2 of 3 tasks')
    expect(w.find('[data-testid=search-open]').exists()).toBe(false)

    await box.setValue('zz')
    expect(w.find('table').exists()).toBe(false)
    expect(w.get('[data-testid=tasks-empty]').text()).toBe('No loaded task id contains “zz”.')

    // A whole id no row shows: offered, by button and by Enter.
    await box.setValue(' t-0123456789abcdef ')
    const offer = w.get('[data-testid=search-open]')
    expect(offer.text()).toBe('Open task t-0123456789abcdef')
    expect(box.attributes('aria-describedby')).toBe(w.get('[data-testid=search-open-hint]').attributes('id'))
    await offer.trigger('click')
    expect(w.emitted('select')).toEqual([['t-0123456789abcdef']])
    await box.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('select')).toHaveLength(2)

    // A prefix of a shown id is still offered; the id itself is not, and Enter opens it.
    await box.setValue('t-a1')
    expect(w.find('[data-testid=search-open]').exists()).toBe(true)
    await box.setValue('t-c3d4')
    expect(w.find('[data-testid=search-open]').exists()).toBe(false)
    expect(rowIds(w)).toEqual(['t-c3d4'])
    await box.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('select')!.at(-1)).toEqual(['t-c3d4'])
  })

  it('says how long finished tasks are kept, from the status', async () => {
    const w = mountList()
    expect(ws.lastSent('get_status')).toBeTruthy()
    ws.reply('get_status', STATUS)
    await flushPromises()
    expect(w.get('[data-testid=tasks-retention]').text()).toBe('Finished tasks are kept for 7 days (at most 100,000)')
  })

  it('says when finished tasks are kept in memory only, and nothing for a server without status', async () => {
    const w = mountList()
    ws.reply('get_status', { ...STATUS, history: 'memory', retention_ms: 36 * 3600 * s, max_tasks_kept: null })
    await flushPromises()
    expect(w.get('[data-testid=tasks-retention]').text()).toBe(
      'Finished tasks are kept in memory for 36 hours; a restart loses them',
    )
    const old = mountList()
    ws.reply('get_status', { type: 'error', code: 'unknown_type', message: "unknown type 'get_status'" })
    await flushPromises()
    expect(old.find('[data-testid=tasks-retention]').exists()).toBe(false)
    expect(old.find('[data-testid=tasks-error]').exists()).toBe(false)
  })
})

describe('opening a task from the list', () => {
  it('opens a past task in the monitor as a live one: subscribe after 0, its whole log replayed', async () => {
    FakeWebSocket.reset()
    vi.stubGlobal('WebSocket', FakeWebSocket)
    history.replaceState(null, '', '/?transport=ws')
    const w = mount(App)
    mounted.push(w)
    ws = FakeWebSocket.last
    ws.accept()
    await flushPromises()
    ws.reply('list_kinds', { type: 'kinds', kinds })
    await answer([row('t-past', { task: 'ticker', created_ms: NOW - 2 * 24 * 3600 * s, last_seq: 3 })])
    expect(w.get('[data-testid=no-task]').exists()).toBe(true)
    // The header holds the status strip, which asked for the status.
    expect(w.find('header.top [data-testid=status-strip]').exists()).toBe(true)
    expect(ws.lastSent('get_status')).toBeTruthy()

    await w.get('[data-testid=task-row][data-task-id=t-past]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(ws.lastSent('subscribe')).toMatchObject({ type: 'subscribe', task_id: 't-past', after: 0 })
    expect(new URLSearchParams(location.search).get('task')).toBe('t-past')
    ws.reply('subscribe', { type: 'subscribe_success', task_id: 't-past', state: 'completed' })
    ws.event('t-past', 1, 'started', { task: 'ticker', params: { steps: 1 } })
    ws.event('t-past', 2, 'progress', { step: 1, total: 1, message: 'tick' })
    ws.event('t-past', 3, 'result', { data: { steps: 1 } })
    await nextFrame()
    expect(w.get('[data-testid=task]').attributes('data-task-id')).toBe('t-past')
    expect(w.get('[data-testid=task-state]').attributes('data-state')).toBe('completed')
    expect(w.findAll('[data-testid=event-row]').map((r) => r.attributes('data-seq'))).toEqual(['1', '2', '3'])
    expect(w.get('[data-testid=task-row][data-task-id=t-past]').classes()).toContain('selected')
    history.replaceState(null, '', '/')
  })
})
