// The task kinds the server runs and their parameters (docs/protocol.md).
// The server has no endpoint that lists kinds yet, so they live here.
import type { JsonSchema } from './protocol'

export interface TaskKind {
  name: string
  description: string
  params: Record<string, JsonSchema>
}

const auditParams: Record<string, JsonSchema> = {
  path: { type: 'string', default: '.', description: 'file or directory inside the workspace' },
  large_file_bytes: { type: 'integer', default: 10485760, minimum: 1, description: 'files over this size are reported, not scanned' },
}

export const TASK_KINDS: TaskKind[] = [
  {
    name: 'audit',
    description: 'Scan the workspace for secrets and risky files',
    params: auditParams,
  },
  {
    name: 'triage',
    description: 'Audit, then ask a person to decide on each finding',
    params: {
      ...auditParams,
      min_severity: { type: 'string', enum: ['low', 'medium', 'high'], default: 'medium', description: 'ask about findings at or above this severity' },
      input_timeout_ms: { type: 'integer', default: 300000, minimum: 1, description: 'how long to wait for each answer' },
    },
  },
  {
    name: 'ticker',
    description: 'Count steps at an interval (a demo of progress)',
    params: {
      steps: { type: 'integer', default: 10, minimum: 0, maximum: 1000000 },
      interval_ms: { type: 'integer', default: 100, minimum: 0, maximum: 3600000 },
    },
  },
]

export const STATE_LABELS: Record<string, string> = {
  unknown: 'unknown',
  running: 'running',
  waiting_input: 'waiting for input',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
}
