// The event log: a window of rows over the whole log, following the newest
// until scrolled up, filtered by type, rows opened to their JSON. jsdom has
// no layout: the scroll box gets a height and a scroll position here.
import { mount } from '@vue/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nextTick, reactive } from 'vue'
import EventLog from '../../src/components/EventLog.vue'
import { ROW_HEIGHT } from '../../src/eventLogView'
import type { TaskEvent } from '../../src/protocol'

const BOX = 240 // px: 10 rows

beforeAll(() => {
  const isBox = (el: HTMLElement) => el.classList?.contains('ev-scroll')
  const content = (el: HTMLElement) => parseFloat((el.firstElementChild as HTMLElement | null)?.style.height ?? '0') || 0
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return isBox(this) ? BOX : 0
    },
  })
  Object.defineProperty(HTMLElement.prototype, 'scrollHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return isBox(this) ? Math.max(BOX, content(this)) : 0
    },
  })
  Object.defineProperty(HTMLElement.prototype, 'scrollTop', {
    configurable: true,
    get(this: HTMLElement & { _top?: number }) {
      return this._top ?? 0
    },
    set(this: HTMLElement & { _top?: number }, v: number) {
      this._top = Math.max(0, Math.min(v, this.scrollHeight - this.clientHeight))
    },
  })
})
afterAll(() => {
  const proto = HTMLElement.prototype as unknown as Record<string, unknown>
  delete proto.clientHeight
  delete proto.scrollHeight
  delete proto.scrollTop
})

function ticker(n: number, from = 1): TaskEvent[] {
  const out: TaskEvent[] = []
  for (let seq = from; seq < from + n; seq++) {
    if (seq === 1) out.push({ type: 'started', task_id: 't-1', seq, ts: 1000, task: 'ticker', params: { steps: 3 } })
    else out.push({ type: 'progress', task_id: 't-1', seq, ts: 1000 + seq, step: seq - 1, total: null, message: `tick ${seq - 1}` })
  }
  return out
}

const seqs = (w: ReturnType<typeof mount>) => w.findAll('[data-testid=event-row]').map((r) => Number(r.attributes('data-seq')))

async function scrollTo(w: ReturnType<typeof mount>, top: number) {
  const box = w.get('[data-testid=event-scroll]')
  ;(box.element as HTMLElement).scrollTop = top
  await box.trigger('scroll')
}

describe('EventLog', () => {
  it('renders only the rows in view of a long log, following the newest', async () => {
    const events = reactive(ticker(10_000))
    const w = mount(EventLog, { props: { events }, attachTo: document.body })
    await nextTick()
    const rows = seqs(w)
    expect(rows.length).toBeLessThan(40)
    expect(rows[rows.length - 1]).toBe(10_000)
    expect(w.get('[data-testid=event-log]').attributes('data-following')).toBe('true')
    // The spacer has the whole log's height: all of it can be scrolled.
    const spacer = w.get('.ev-spacer').element as HTMLElement
    expect(spacer.style.height).toBe(`${10_000 * ROW_HEIGHT}px`)

    // New events: still at the bottom.
    events.push(...ticker(50, 10_001))
    await nextTick()
    await nextTick()
    expect(seqs(w).at(-1)).toBe(10_050)
    expect(w.find('[data-testid=jump-latest]').exists()).toBe(false)
    w.unmount()
  })

  it('pauses when scrolled up, counts the events since, and jumps back', async () => {
    const events = reactive(ticker(500))
    const w = mount(EventLog, { props: { events }, attachTo: document.body })
    await nextTick()
    await scrollTo(w, 0)
    expect(w.get('[data-testid=event-log]').attributes('data-following')).toBe('false')
    expect(seqs(w)[0]).toBe(1)
    expect(seqs(w).length).toBeLessThan(40)
    expect(w.get('[data-testid=jump-latest]').text()).toBe('0 new events — jump to latest')

    events.push(...ticker(1, 501))
    await nextTick()
    expect(w.get('[data-testid=jump-latest]').text()).toBe('1 new event — jump to latest')
    events.push(...ticker(6, 502))
    await nextTick()
    expect(w.get('[data-testid=jump-latest]').text()).toBe('7 new events — jump to latest')
    // Still where the user left it.
    expect(seqs(w)[0]).toBe(1)

    // Scrolling within the log keeps it paused; the rows follow the offset.
    await scrollTo(w, 200 * ROW_HEIGHT)
    expect(seqs(w)).toContain(201)
    expect(seqs(w)).not.toContain(1)
    expect(w.get('[data-testid=event-log]').attributes('data-following')).toBe('false')

    await w.get('[data-testid=jump-latest]').trigger('click')
    await nextTick()
    await nextTick()
    expect(w.get('[data-testid=event-log]').attributes('data-following')).toBe('true')
    expect(seqs(w).at(-1)).toBe(507)
    expect(w.find('[data-testid=jump-latest]').exists()).toBe(false)
    const box = w.get('[data-testid=event-scroll]').element as HTMLElement
    expect(box.scrollTop).toBe(box.scrollHeight - box.clientHeight)

    // Scrolling back down to the bottom resumes following too.
    await scrollTo(w, 0)
    expect(w.get('[data-testid=event-log]').attributes('data-following')).toBe('false')
    await scrollTo(w, 1e9)
    expect(w.get('[data-testid=event-log]').attributes('data-following')).toBe('true')
    w.unmount()
  })

  it('filters by event type', async () => {
    const events = [
      ...ticker(300),
      { type: 'log', task_id: 't-1', seq: 301, ts: 1, level: 'info', message: 'hello' },
      { type: 'result', task_id: 't-1', seq: 302, ts: 2, data: { steps: 299 } },
    ] as TaskEvent[]
    const w = mount(EventLog, { props: { events } })
    await nextTick()
    await w.get('[data-testid=event-filter]').setValue('terminal')
    expect(w.findAll('[data-testid=event-row]').map((r) => r.attributes('data-type'))).toEqual(['result'])
    expect(w.get('[data-testid=event-filter-count]').text()).toBe('1 of 302')
    await w.get('[data-testid=event-filter]').setValue('log')
    expect(seqs(w)).toEqual([301])
    await w.get('[data-testid=event-filter]').setValue('started')
    expect(seqs(w)).toEqual([1])
    await w.get('[data-testid=event-filter]').setValue('progress')
    expect(w.findAll('[data-testid=event-row]').every((r) => r.attributes('data-type') === 'progress')).toBe(true)
    await w.get('[data-testid=event-filter]').setValue('all')
    expect(seqs(w).at(-1)).toBe(302)
  })

  it('opens a row to its JSON by click, Enter or Space', async () => {
    const events = ticker(3)
    const w = mount(EventLog, { props: { events } })
    await nextTick()
    const box = w.get('[data-testid=event-scroll]')
    expect(box.attributes('tabindex')).toBe('0')
    expect(box.attributes('aria-label')).toBeTruthy()
    const toggle = () => w.get('[data-testid=event-row][data-seq="2"] [data-testid=event-toggle]')
    expect(toggle().attributes('tabindex')).toBe('0')
    expect(toggle().attributes('aria-expanded')).toBe('false')

    await toggle().trigger('click')
    expect(toggle().attributes('aria-expanded')).toBe('true')
    const json = w.get('[data-testid=event-row][data-seq="2"] [data-testid=event-json]').text()
    expect(JSON.parse(json)).toEqual(events[1])
    expect(json).toContain('\n  "seq": 2,')
    await toggle().trigger('keydown', { key: 'Enter' })
    expect(w.find('[data-testid=event-json]').exists()).toBe(false)
    await toggle().trigger('keydown', { key: ' ' })
    expect(w.findAll('[data-testid=event-json]')).toHaveLength(1)
    await toggle().trigger('keydown', { key: 'a' })
    expect(w.findAll('[data-testid=event-json]')).toHaveLength(1)
    // An open row is taller: the log's height says so.
    expect((w.get('.ev-spacer').element as HTMLElement).style.height).toBe(`${3 * ROW_HEIGHT + 192}px`)
  })

  it('says how many early events were let go', async () => {
    const w = mount(EventLog, { props: { events: ticker(5), dropped: 1234 } })
    expect(w.get('[data-testid=events-dropped]').text()).toBe('1234 earlier events not kept')
  })
})
