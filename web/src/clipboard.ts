// Copying text: navigator.clipboard where the page may use it (https or
// localhost), else the old execCommand('copy') on a hidden text area (a page
// served over plain http from another host has no navigator.clipboard).

/** True when the text reached the clipboard. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (typeof navigator !== 'undefined' && navigator.clipboard) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    /* refused (no permission, no focus): try the old way */
  }
  return copyByCommand(text)
}

function copyByCommand(text: string): boolean {
  if (typeof document === 'undefined' || typeof document.execCommand !== 'function') return false
  const active = document.activeElement as HTMLElement | null
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.opacity = '0'
  document.body.appendChild(area)
  area.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  area.remove()
  // Selecting the text area took the focus: give it back (keyboard users).
  active?.focus?.()
  return ok
}
