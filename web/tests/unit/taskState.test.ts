// The task reducer on recorded event sequences: pure functions, no sockets.
import { describe, expect, it } from 'vitest'
import {
  applyEvent,
  applySnapshot,
  inputContextOf,
  isTerminal,
  questionsAnswered,
  type TaskMap,
} from '../../src/composables/taskState'
import type { TaskEvent } from '../../src/protocol'

const ev = (seq: number, type: string, fields: Record<string, unknown> = {}): TaskEvent => ({
  type,
  task_id: 't-1',
  seq,
  ts: 1000 + seq,
  ...fields,
})

// A triage as the server sends it: scan, one question, an answer, the result.
const triage: TaskEvent[] = [
  ev(1, 'started', { task: 'triage', params: { path: '.' } }),
  ev(2, 'progress', { step: 1, total: 2, message: 'scanning' }),
  ev(3, 'input_request', {
    request_id: 'r-1',
    prompt: 'fix?',
    schema: { type: 'string', enum: ['fix', 'accept'] },
    timeout_ms: 1000,
  }),
  ev(4, 'input_received', { request_id: 'r-1', value: 'fix' }),
  ev(5, 'progress', { step: 2, total: 2, message: 'done', skipped: 3 }),
  ev(6, 'result', { data: { decisions: [] } }),
]

describe('task reducer', () => {
  it('follows a triage from started to result', () => {
    const tasks: TaskMap = {}
    const states: string[] = []
    for (const e of triage) {
      expect(applyEvent(tasks, e)).toBe(true)
      states.push(tasks['t-1'].state)
    }
    expect(states).toEqual(['running', 'running', 'waiting_input', 'running', 'running', 'completed'])
    const t = tasks['t-1']
    expect(t.kind).toBe('triage')
    expect(t.progress).toEqual({ step: 2, total: 2, message: 'done' })
    expect(t.pendingInput).toBeNull()
    expect(t.result).toEqual({ decisions: [] })
    expect(t.lastSeq).toBe(6)
    expect(t.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(isTerminal(t)).toBe(true)
  })

  it('drops what it has seen, whatever order the transports deliver in', () => {
    const tasks: TaskMap = {}
    const delivered = [triage[0], triage[1], triage[0], triage[2], triage[1], triage[3]]
    const applied = delivered.map((e) => applyEvent(tasks, e))
    expect(applied).toEqual([true, true, false, true, false, true])
    expect(tasks['t-1'].events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
  })

  it('takes a snapshot after expired events, then goes on by seq', () => {
    const tasks: TaskMap = {}
    applySnapshot(tasks, {
      task_id: 't-1',
      task: 'ticker',
      state: 'running',
      progress: { step: 500, total: 1000, message: 'tick 500' },
      pending_input: null,
      last_seq: 501,
    })
    expect(tasks['t-1'].lastSeq).toBe(501)
    expect(applyEvent(tasks, ev(400, 'progress', { step: 399, total: 1000 }))).toBe(false)
    expect(applyEvent(tasks, ev(502, 'progress', { step: 501, total: 1000, message: 'tick 501' }))).toBe(true)
    expect(tasks['t-1'].progress?.step).toBe(501)
    expect(applyEvent(tasks, ev(503, 'stopped', { reason: 'enough' }))).toBe(true)
    expect(tasks['t-1'].state).toBe('cancelled')
    expect(tasks['t-1'].stopReason).toBe('enough')
  })

  it('ends a failed task with its error and no pending input', () => {
    const tasks: TaskMap = {}
    applyEvent(tasks, triage[0])
    applyEvent(tasks, triage[2])
    applyEvent(tasks, ev(4, 'error', { code: 'timeout', message: 'no answer' }))
    const t = tasks['t-1']
    expect(t.state).toBe('failed')
    expect(t.error).toEqual({ code: 'timeout', message: 'no answer' })
    expect(t.pendingInput).toBeNull()
  })

  it("keeps a request's context and deadline, and counts the answers", () => {
    const tasks: TaskMap = {}
    const finding = { rule: 'aws_access_key', severity: 'high', path: 'a.env', line: 2, excerpt: 'AKIA****' }
    applyEvent(tasks, triage[0])
    applyEvent(tasks, ev(2, 'input_request', {
      request_id: 'r-1',
      prompt: 'fix?',
      schema: { enum: ['fix'] },
      timeout_ms: 5000,
      context: { finding, index: 1, count: 3 },
    }))
    const t = tasks['t-1']
    expect(t.pendingInput).toMatchObject({ context: { finding, index: 1, count: 3 }, deadline_ms: 1002 + 5000 })
    expect(t.questionCount).toBe(3)
    expect(questionsAnswered(t)).toBe(0)
    applyEvent(tasks, ev(3, 'input_received', { request_id: 'r-1', value: 'fix' }))
    expect(t.inputsReceived).toBe(1)
    expect(questionsAnswered(t)).toBe(1)
    // The count outlives the question: "1 of 3" between questions and after.
    expect(t.pendingInput).toBeNull()
    expect(t.questionCount).toBe(3)
    applyEvent(tasks, ev(4, 'input_request', { request_id: 'r-2', prompt: 'p', schema: {}, timeout_ms: null }))
    expect(t.pendingInput).toMatchObject({ context: null, deadline_ms: null, timeout_ms: null })
  })

  it("takes a snapshot's pending input with its context and ts", () => {
    const tasks: TaskMap = {}
    applySnapshot(tasks, {
      task_id: 't-1',
      task: 'triage',
      state: 'waiting_input',
      last_seq: 30,
      pending_input: {
        request_id: 'r-4',
        prompt: 'fourth',
        schema: { enum: ['fix'] },
        timeout_ms: 60000,
        ts: 5000,
        context: { index: 4, count: 6 },
      },
    })
    const t = tasks['t-1']
    expect(t.pendingInput).toMatchObject({ request_id: 'r-4', deadline_ms: 65000, context: { index: 4, count: 6 } })
    // The log before seq 30 is not here: the index says how many were answered.
    expect(questionsAnswered(t)).toBe(3)
    expect(t.questionCount).toBe(6)
    // Without ts (an older server): no deadline.
    applySnapshot(tasks, { task_id: 't-1', pending_input: { request_id: 'r-4', prompt: '', schema: {}, timeout_ms: 1 } })
    expect(t.pendingInput?.deadline_ms).toBeNull()
    applySnapshot(tasks, { task_id: 't-1', pending_input: null })
    expect(t.pendingInput).toBeNull()
  })

  it('drops the malformed parts of a context and keeps the rest', () => {
    expect(inputContextOf(null)).toBeNull()
    expect(inputContextOf([1])).toBeNull()
    expect(inputContextOf({ finding: { rule: 'r' }, index: 0, count: 2.5, flow: 'x' })).toEqual({ flow: 'x' })
    expect(inputContextOf({ finding: { rule: 'r', severity: 'low', path: 'p', line: 0 }, index: 2 })).toEqual({
      finding: { rule: 'r', severity: 'low', path: 'p', line: 0, excerpt: '' },
      index: 2,
    })
  })
})
