// The status strip against a fake WebSocket: what it reads, when, and what
// it shows of each reading.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import StatusStrip from '../../src/components/StatusStrip.vue'
import { useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import { FakeWebSocket } from './fakes'

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0)

let client: AgentStream
let ws: FakeWebSocket
let visibility: DocumentVisibilityState = 'visible'
const mounted: VueWrapper[] = []

function status(over: Record<string, unknown> = {}) {
  return {
    type: 'status',
    node: 'local',
    server: 'switchboard/0.1.0',
    history: 'sqlite',
    retention_ms: 604800000,
    max_tasks_kept: 100000,
    tasks: { running: 2, waiting_input: 1, failed_last_hour: 0 },
    events_total: 1000,
    ts: NOW,
    draining: false,
    ...over,
  }
}

function mountStrip() {
  const w = mount(StatusStrip, { props: { client } })
  mounted.push(w)
  return w
}

const gets = () => ws.sent.filter((m) => m.type === 'get_status').length
const value = (w: VueWrapper, id: string) => w.get(`[data-testid=${id}] dd`).text()

async function reply(body: Record<string, unknown>) {
  ws.reply('get_status', body)
  await flushPromises()
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(NOW)
  visibility = 'visible'
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility })
  FakeWebSocket.reset()
  client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
  ws = FakeWebSocket.last
  ws.accept()
})
afterEach(() => {
  while (mounted.length) mounted.pop()!.unmount()
  client.disconnect()
  vi.useRealTimers()
  delete (document as any).visibilityState
})

describe('StatusStrip', () => {
  it('shows the counts of the first reading, and the event rate from the second, 5 s later', async () => {
    const w = mountStrip()
    expect(gets()).toBe(1)
    expect(ws.lastSent('get_status')).toEqual({ type: 'get_status', id: ws.lastSent('get_status').id })
    expect(value(w, 'status-running')).toBe('–')
    await reply(status())
    expect(w.get('[data-testid=status-strip]').attributes('aria-label')).toBe('Server status')
    expect(w.get('[data-testid=status-strip]').attributes('data-ready')).toBe('true')
    expect(value(w, 'status-running')).toBe('2')
    expect(w.get('[data-testid=status-running] dt').text()).toBe('Running')
    expect(value(w, 'status-waiting')).toBe('1')
    expect(w.get('[data-testid=status-waiting]').classes()).toContain('attention')
    expect(value(w, 'status-failed')).toBe('0')
    expect(w.get('[data-testid=status-failed] dt').text()).toBe('Failed in the last hour')
    // One reading: no rate yet.
    expect(value(w, 'status-rate')).toBe('–')
    expect(w.find('[data-testid=status-draining]').exists()).toBe(false)
    expect(w.get('[data-testid=link-metrics]').attributes('href')).toBe('/metrics')
    expect(w.get('[data-testid=link-healthz]').attributes('href')).toBe('/healthz')

    vi.advanceTimersByTime(4999)
    expect(gets()).toBe(1)
    vi.advanceTimersByTime(1)
    expect(gets()).toBe(2)
    await reply(status({ events_total: 1250, ts: NOW + 5000, tasks: { running: 3, waiting_input: 0, failed_last_hour: 1 } }))
    expect(value(w, 'status-rate')).toBe('50')
    expect(w.get('[data-testid=status-rate]').attributes('title')).toBe('task events per second over the last 5 s')
    expect(value(w, 'status-running')).toBe('3')
    expect(w.get('[data-testid=status-waiting]').classes()).not.toContain('attention')
    expect(w.get('[data-testid=status-failed]').classes()).toContain('alarm')
  })

  it("lists a clustered node's members, itself first, and nothing of the kind on a lone node", async () => {
    const w = mountStrip()
    await reply(status())
    expect(w.find('[data-testid=status-nodes]').exists()).toBe(false)
    vi.advanceTimersByTime(5000)
    await reply(
      status({
        ts: NOW + 5000,
        nodes: [
          { name: 'b', host: '127.0.0.1', port: 7102, running: 3, draining: false },
          { name: 'a', host: '127.0.0.1', port: 7101, running: 0, draining: true },
        ],
      }),
    )
    expect(value(w, 'status-nodes')).toBe('2: b (3 running), a (draining)')
    expect(w.get('[data-testid=status-nodes]').attributes('title')).toBe('b (127.0.0.1:7102), a (127.0.0.1:7101)')
  })

  it('shows draining, and no rate across a restart of the server', async () => {
    const w = mountStrip()
    await reply(status({ events_total: 5000 }))
    vi.advanceTimersByTime(5000)
    await reply(status({ events_total: 12, ts: NOW + 5000, draining: true }))
    expect(value(w, 'status-rate')).toBe('–')
    expect(w.get('[data-testid=status-draining]').text()).toBe('draining')
  })

  it('asks nothing while the page is hidden, and reads at once when it is shown', async () => {
    const w = mountStrip()
    await reply(status())
    visibility = 'hidden'
    document.dispatchEvent(new Event('visibilitychange'))
    vi.advanceTimersByTime(60_000)
    expect(gets()).toBe(1)
    visibility = 'visible'
    document.dispatchEvent(new Event('visibilitychange'))
    expect(gets()).toBe(2)
    await reply(status({ events_total: 1600, ts: NOW + 60_000 }))
    expect(value(w, 'status-rate')).toBe('10')
    vi.advanceTimersByTime(5000)
    expect(gets()).toBe(3)
    w.unmount()
    mounted.pop()
    vi.advanceTimersByTime(20_000)
    expect(gets()).toBe(3)
  })

  it("carries the page's access token in the links (a server with tokens refuses them without)", async () => {
    const w = mount(StatusStrip, { props: { client, token: 'a b' } })
    mounted.push(w)
    expect(w.get('[data-testid=link-metrics]').attributes('href')).toBe('/metrics?access_token=a%20b')
    expect(w.get('[data-testid=link-healthz]').attributes('href')).toBe('/healthz?access_token=a%20b')
  })

  it('says when the server does not report its status', async () => {
    const w = mountStrip()
    await reply({ type: 'error', code: 'unknown_type', message: "unknown type 'get_status'" })
    expect(w.get('[data-testid=status-error]').text()).toBe('Status: this server does not report its status')
    expect(value(w, 'status-running')).toBe('–')
  })
})
