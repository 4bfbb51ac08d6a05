// Once per animation frame: the UI takes a burst of task events in one go, so
// that a task sending thousands of events a second costs one render a frame,
// not one an event.

/** Runs `cb` once, at the next frame; returns a function that cancels it. */
export type RequestFrame = (cb: () => void) => () => void

/** A hidden tab gets no animation frames: a timer runs the callback if no
 * frame came by then, so the state never falls far behind. */
const HIDDEN_TAB_MS = 250
/** Where there is no requestAnimationFrame: about one frame at 60 Hz. */
const FALLBACK_MS = 16

export const requestFrame: RequestFrame = (cb) => {
  let done = false
  const g = globalThis as { requestAnimationFrame?: (cb: () => void) => number; cancelAnimationFrame?: (id: number) => void }
  let frame: number | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const cancel = () => {
    done = true
    if (frame !== null) g.cancelAnimationFrame?.(frame)
    if (timer !== null) clearTimeout(timer)
  }
  const run = () => {
    if (done) return
    cancel()
    cb()
  }
  if (typeof g.requestAnimationFrame === 'function') {
    frame = g.requestAnimationFrame(run)
    timer = setTimeout(run, HIDDEN_TAB_MS)
  } else {
    timer = setTimeout(run, FALLBACK_MS)
  }
  return cancel
}

// Time slices: work that may come in bursts (thousands of events in one
// network read) is done in slices of SLICE_MS, and the main thread is given
// back between slices, so that no task of the page runs long.

/** The budget of one slice of work, ms. */
export const SLICE_MS = 8

/** Runs `cb` in a task of its own, soon: a MessageChannel message (not
 * clamped like nested timers), or a timer where there is none. */
export function nextTask(cb: () => void): void {
  const g = globalThis as { MessageChannel?: typeof MessageChannel }
  if (typeof g.MessageChannel === 'function') {
    const ch = new g.MessageChannel()
    ch.port1.onmessage = () => {
      ch.port1.close()
      cb()
    }
    ch.port2.postMessage(null)
  } else {
    setTimeout(cb, 0)
  }
}

/** A promise that resolves in a later task: `await yieldToMain()` lets the
 * browser render and handle input before the work goes on. */
export function yieldToMain(): Promise<void> {
  return new Promise((resolve) => nextTask(resolve))
}

export interface SliceClock {
  /** True once the work done in the current task took `budgetMs`: the caller
   * should go on in a later task. */
  spent(): boolean
}

const defaultNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now())

/** Tells when the work done in the current task used up its budget. A task
 * boundary is noticed by a message posted when the slice began: once it was
 * delivered, the page's thread was free in between and a new slice begins. */
export function sliceClock(budgetMs = SLICE_MS, now: () => number = defaultNow): SliceClock {
  let start = 0
  let open = false
  return {
    spent() {
      if (!open) {
        open = true
        start = now()
        nextTask(() => (open = false))
        return false
      }
      return now() - start >= budgetMs
    },
  }
}

/** Work done in arrival order, at once while the current slice has budget
 * left, else queued and done in later slices (one task each). */
export interface Inbox {
  run(job: () => void): void
  /** Drops the jobs waiting. */
  clear(): void
  /** Jobs waiting. */
  readonly size: number
}

/** An inbox over `clock`; with no clock every job runs at once. */
export function createInbox(clock: SliceClock | null = sliceClock()): Inbox {
  let jobs: Array<(() => void) | undefined> = []
  let head = 0
  let scheduled = false
  const runJob = (job: () => void) => {
    try {
      job()
    } catch (e) {
      // Reported as an uncaught error, and the jobs after it still run.
      setTimeout(() => {
        throw e
      }, 0)
    }
  }
  const drain = () => {
    scheduled = false
    while (head < jobs.length) {
      if (clock!.spent()) {
        scheduled = true
        nextTask(drain)
        return
      }
      const job = jobs[head]!
      jobs[head++] = undefined
      runJob(job)
    }
    jobs = []
    head = 0
  }
  return {
    run(job) {
      if (!clock || (head === jobs.length && !clock.spent())) {
        job()
        return
      }
      jobs.push(job)
      if (head > 4096 && head * 2 > jobs.length) {
        jobs = jobs.slice(head)
        head = 0
      }
      if (!scheduled) {
        scheduled = true
        nextTask(drain)
      }
    },
    clear() {
      jobs = []
      head = 0
    },
    get size() {
      return jobs.length - head
    },
  }
}
