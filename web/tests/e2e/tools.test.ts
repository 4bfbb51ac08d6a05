// End-to-end: the tools panel against the real server in headless chromium:
// argument forms from the tools' schemas, whole results, the call history,
// field errors before any call, server errors, and keyboard-only use.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshot, startServer, type Browser, type Server } from './harness'

let server: Server
let browser: Browser

interface ToolInfo {
  name: string
  schema: { properties?: Record<string, { description?: string }>; required?: string[] }
}
let tools: ToolInfo[] = []

beforeAll(async () => {
  server = await startServer(['--history=memory'])
  browser = await launchBrowser()
  tools = ((await (await fetch(`${server.url}/api/tools`)).json()) as { tools: ToolInfo[] }).tools
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

async function open(transport: 'ws' | 'sse' = 'ws') {
  const page = await browser.newPage()
  const frames: string[] = []
  page.on('websocket', (ws) => ws.on('framesent', (f) => frames.push(String(f.payload))))
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(`${server.url}/?transport=${transport}`)
  await page.waitForSelector('[data-testid=connection-status][data-status=open]')
  await page.waitForSelector('[data-testid=tool-item][data-name="fs.hash"]')
  return { page, frames, errors }
}

const pickTool = (page: Page, name: string) => page.click(`[data-testid=tool-item][data-name="${name}"] button`)

/** Calls the form's tool and waits for the outcome of the page's call number `n`. */
async function callAndWait(page: Page, n: number) {
  await page.click('[data-testid=tool-call-button]')
  await page.waitForSelector(`[data-testid=tool-outcome][data-call-id="${n}"]`)
}

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(path.join(server.workspace, file))).digest('hex')

/** Presses Tab (Shift+Tab when `back`) until the element `selector` names
 * has the focus; fails after `max` presses. */
async function tabTo(page: Page, selector: string, max = 25, back = false) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return
  }
  throw new Error(`Tab never reached ${selector}`)
}

describe('tools panel against the real server', () => {
  it('shows every field of fs.list as optional, with its description and bounds as help', async () => {
    const { page, errors } = await open()
    await pickTool(page, 'fs.list')
    const schema = tools.find((t) => t.name === 'fs.list')!.schema
    const names = Object.keys(schema.properties ?? {})
    expect(names).toEqual(expect.arrayContaining(['path', 'recursive', 'max_entries']))
    for (const name of names) {
      expect(await page.isVisible(`[data-testid=arg-${name}]`)).toBe(true)
      // fs.list requires nothing: each field says it is optional.
      expect(await page.textContent(`[data-testid=arg-${name}-optional]`)).toContain('optional')
      const description = schema.properties![name].description
      if (description) {
        const helpSel = `[data-testid=arg-${name}-help]`
        expect(await page.isVisible(helpSel)).toBe(true)
        expect(await page.textContent(helpSel)).toContain(description)
        const helpId = await page.getAttribute(helpSel, 'id')
        expect(await page.getAttribute(`[data-testid=arg-${name}]`, 'aria-describedby')).toContain(helpId)
      }
    }
    // The bounds are help text too, visible and tied to the field.
    expect(await page.textContent('[data-testid=arg-max_entries-help]')).toContain('1 to 100000')
    const helpId = await page.getAttribute('[data-testid=arg-max_entries-help]', 'id')
    expect(await page.getAttribute('[data-testid=arg-max_entries]', 'aria-describedby')).toContain(helpId)
    expect(await page.getAttribute('[data-testid=arg-recursive]', 'type')).toBe('checkbox')

    // The server's defaults are prefilled; a field emptied is not sent, a
    // ticked box and a number are.
    expect(await page.inputValue('[data-testid=arg-path]')).toBe('.')
    await page.fill('[data-testid=arg-path]', '')
    await page.check('[data-testid=arg-recursive]')
    await page.fill('[data-testid=arg-max_entries]', '3')
    await callAndWait(page, 1)
    const result = JSON.parse((await page.textContent('[data-testid=tool-result]'))!)
    expect(result.entries).toHaveLength(3)
    expect(result.truncated).toBe(true)
    expect(await page.textContent('[data-testid=tool-history-args]')).toBe('{"recursive":true,"max_entries":3}')
    expect(errors).toEqual([])
    await screenshot(page, 'tools-fs-list')
  })

  it('shows the whole SHA-256 of fs.hash, wrapped inside its box, with state and duration', async () => {
    const { page, frames, errors } = await open()
    await pickTool(page, 'fs.hash')
    expect(await page.getAttribute('[data-testid=arg-path]', 'aria-required')).toBe('true')
    await page.fill('[data-testid=arg-path]', 'README.md')
    await callAndWait(page, 1)
    expect(frames.some((f) => f.includes('"type":"call_tool"') && f.includes('"args":{"path":"README.md"}'))).toBe(true)
    const sha = sha256Of('README.md')
    expect(sha).toMatch(/^[0-9a-f]{64}$/)
    const text = (await page.textContent('[data-testid=tool-result]'))!
    expect(JSON.parse(text)).toMatchObject({ path: 'README.md', sha256: sha })
    // Nothing cut: the box does not overflow sideways, and the rendered text
    // (what a user selects) holds the whole digest.
    const box = await page.$eval('[data-testid=tool-result]', (el) => ({
      scrollWidth: el.scrollWidth,
      clientWidth: el.clientWidth,
      inner: (el as HTMLElement).innerText,
    }))
    expect(box.scrollWidth).toBeLessThanOrEqual(box.clientWidth)
    expect(box.inner.replace(/\s+/g, ' ')).toContain(sha)
    expect(await page.getAttribute('[data-testid=tool-outcome]', 'data-ok')).toBe('true')
    expect(await page.textContent('[data-testid=tool-outcome-state]')).toBe('ok')
    expect((await page.textContent('[data-testid=tool-outcome-duration]'))!.trim()).toMatch(/^\d+(\.\d)? (ms|s)$/)
    await screenshot(page, 'tools-hash')

    // The wide view shows the same text over the page.
    await page.click('[data-testid=tool-wide]')
    expect(await page.textContent('[data-testid=tool-result-wide]')).toContain(sha)
    await screenshot(page, 'tools-wide')
    await page.click('[data-testid=tool-wide-close]')
    expect(await page.$('[data-testid=tool-wide-dialog]')).toBeNull()

    // Copy: the clipboard gets the whole result.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    await page.click('[data-testid=tool-copy]')
    await page.waitForSelector('[data-testid=tool-copy-status]:has-text("Copied")')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text)
    expect(errors).toEqual([])
  })

  it('lists calls newest first; a row shows its result again and refills the form', async () => {
    const { page } = await open()
    await pickTool(page, 'fs.hash')
    const files = ['README.md', 'app/settings.py', 'config/production.env']
    for (let i = 0; i < files.length; i++) {
      await page.fill('[data-testid=arg-path]', files[i])
      await callAndWait(page, i + 1)
    }
    await pickTool(page, 'text.search')
    await page.fill('[data-testid=arg-pattern]', 'password')
    await callAndWait(page, 4)
    const rows = await page.$$eval('[data-testid=tool-history-row]', (rs) =>
      rs.map((r) => ({
        tool: (r as HTMLElement).dataset.tool,
        args: r.querySelector('[data-testid=tool-history-args]')!.textContent,
        state: r.querySelector('[data-testid=tool-history-state]')!.textContent,
      })),
    )
    expect(rows).toEqual([
      // The defaults the server's schema gives are sent as prefilled; the
      // summary is cut at 48 characters.
      { tool: 'text.search', args: '{"pattern":"password","path":".","max_matches":…', state: 'ok' },
      ...files.reverse().map((f) => ({ tool: 'fs.hash', args: JSON.stringify({ path: f }), state: 'ok' })),
    ])
    // The third row: app/settings.py.
    const third = '[data-testid=tool-history-row]:nth-child(3)'
    await page.click(`${third} [data-testid=tool-history-show]`)
    expect(JSON.parse((await page.textContent('[data-testid=tool-result]'))!)).toMatchObject({
      path: 'app/settings.py',
      sha256: sha256Of('app/settings.py'),
    })
    await page.click(`${third} [data-testid=tool-history-refill]`)
    expect(await page.getAttribute('[data-testid=tool-call]', 'data-tool')).toBe('fs.hash')
    expect(await page.inputValue('[data-testid=arg-path]')).toBe('app/settings.py')
    await screenshot(page, 'tools-history')
  })

  it('refuses an invalid argument next to its field without calling the server', async () => {
    const { page, frames } = await open()
    await pickTool(page, 'fs.list')
    await page.fill('[data-testid=arg-max_entries]', '0')
    await page.click('[data-testid=tool-call-button]')
    await page.waitForSelector('[data-testid=arg-max_entries-error]')
    expect(await page.textContent('[data-testid=arg-max_entries-error]')).toBe('max_entries must be at least 1')
    expect(await page.getAttribute('[data-testid=arg-max_entries]', 'aria-invalid')).toBe('true')
    await pickTool(page, 'fs.hash')
    await page.click('[data-testid=tool-call-button]')
    expect(await page.textContent('[data-testid=arg-path-error]')).toBe('path is required')
    await page.waitForTimeout(200)
    expect(frames.some((f) => f.includes('"type":"call_tool"'))).toBe(false)
    expect(await page.$('[data-testid=tool-history-row]')).toBeNull()
  })

  for (const transport of ['ws', 'sse'] as const) {
    it(`shows a server error with its code and message (${transport})`, async () => {
      const { page } = await open(transport)
      await pickTool(page, 'fs.hash')
      await page.fill('[data-testid=arg-path]', 'no/such/file.txt')
      await callAndWait(page, 1)
      expect(await page.getAttribute('[data-testid=tool-outcome]', 'data-ok')).toBe('false')
      expect(await page.textContent('[data-testid=tool-error-code]')).toBe('invalid_args')
      expect(await page.textContent('[data-testid=tool-error-message]')).toContain('no/such/file.txt')
      expect(await page.textContent('[data-testid=tool-history-state]')).toBe('invalid_args')
      // Raw JSON for what the form cannot say: secrets.scan with a list of paths.
      await pickTool(page, 'secrets.scan')
      await page.click('[data-testid=tool-json-toggle]')
      await page.fill('[data-testid=tool-args]', '{"paths": ["config/production.env", "deploy/id_rsa"]}')
      await callAndWait(page, 2)
      expect(await page.getAttribute('[data-testid=tool-outcome]', 'data-ok')).toBe('true')
      expect(await page.textContent('[data-testid=tool-result]')).toContain('aws_access_key')
      expect(await page.textContent('body')).not.toContain('AKIAIOSFODNN7EXAMPLE')
    })
  }

  it('works from the keyboard alone', async () => {
    const { page } = await open()
    await page.focus('[data-testid=tool-item][data-name="fs.hash"] button')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=tool-call][data-tool="fs.hash"]')
    await tabTo(page, '[data-testid=arg-path]')
    // Enter in a field submits; a blank required field takes the focus back.
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=arg-path-error]')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('arg-path')
    await page.keyboard.type('README.md')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=tool-outcome][data-call-id="1"]')
    expect(await page.textContent('[data-testid=tool-result]')).toContain(sha256Of('README.md'))
    // The result box scrolls from the keyboard; the wide view opens and closes.
    await tabTo(page, '[data-testid=tool-result]')
    await tabTo(page, '[data-testid=tool-wide]')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=tool-wide-dialog]')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('tool-wide-close')
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid=tool-wide-dialog]', { state: 'detached' })
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('tool-wide')
    // The JSON toggle and back, then a call from the history.
    await tabTo(page, '[data-testid=tool-json-toggle]', 25, true)
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=tool-args]')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=tool-call][data-mode=form]')
    expect(await page.inputValue('[data-testid=arg-path]')).toBe('README.md')
    await tabTo(page, '[data-testid=tool-history-show]', 40)
    await page.keyboard.press('Enter')
    expect(await page.getAttribute('[data-testid=tool-history-show]', 'aria-pressed')).toBe('true')
    await screenshot(page, 'tools-keyboard')
  })
})
