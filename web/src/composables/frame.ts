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
