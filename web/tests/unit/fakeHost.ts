// A transport's host for tests: the real reducer over a plain task map (as
// useAgentStream keeps it, minus Vue), and a record of every callback.
import { applyEvent, applySnapshot, ensureTask, isTerminal, type TaskMap } from '../../src/composables/taskState'
import {
  DEFAULT_BACKOFF,
  type Transport,
  type TransportHost,
  type TransportSettings,
  type TransportState,
} from '../../src/composables/transports/transport'
import type { SnapshotLike, TaskEvent, TaskStateName, ToolInfo } from '../../src/protocol'

export function testSettings(over: Partial<TransportSettings> = {}): TransportSettings {
  return {
    base: 'http://sb.test:8080',
    token: '',
    requestTimeoutMs: 2000,
    defaultHeartbeatMs: 15000,
    backoff: { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 1000, stableMs: 5000 },
    random: () => 1, // the top of each jitter range: 100, 200, 400, …
    ...over,
  }
}

export function fakeHost() {
  const tasks: TaskMap = {}
  const state: Partial<TransportState> = {}
  const seen = {
    events: [] as TaskEvent[],
    snapshots: [] as SnapshotLike[],
    expired: [] as string[],
    errors: [] as string[],
    tools: [] as ToolInfo[][],
    unknown: [] as string[],
    opens: 0,
    /** What each resume subscribe() resolved with, or its error. */
    resumed: [] as Array<Promise<TaskStateName | undefined | Error>>,
  }
  let transport: Transport | null = null

  const host: TransportHost = {
    onEvent(ev) {
      seen.events.push(ev)
      applyEvent(tasks, ev)
    },
    onSnapshot(s) {
      seen.snapshots.push(s)
      applySnapshot(tasks, s)
    },
    onEventsExpired: (id) => void seen.expired.push(id),
    onState: (patch) => void Object.assign(state, patch),
    onError: (m) => void seen.errors.push(m),
    onTools: (t) => void seen.tools.push(t),
    onUnknownTask(id) {
      seen.unknown.push(id)
      ensureTask(tasks, id).watched = false
    },
    // As useAgentStream does: resume every watched task that has not ended.
    onOpen() {
      seen.opens++
      for (const t of Object.values(tasks))
        if (t.watched && !isTerminal(t)) seen.resumed.push(transport!.subscribe(t.id, t.lastSeq).catch((e: Error) => e))
    },
    lastSeq: (id) => tasks[id]?.lastSeq ?? 0,
    isWatched: (id) => !!tasks[id]?.watched,
    isTerminal: (id) => !!tasks[id] && isTerminal(tasks[id]),
  }

  return {
    host,
    tasks,
    state,
    seen,
    /** The transport under test (for onOpen's resume). */
    use<T extends Transport>(t: T): T {
      transport = t
      return t
    },
    /** Marks a task watched, as useAgentStream's watch() does before subscribe(). */
    watch(id: string) {
      ensureTask(tasks, id).watched = true
    },
  }
}
