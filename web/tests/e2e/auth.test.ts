// The UI against a server that requires a bearer token.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchBrowser, screenshot, startServer, type Browser, type Server } from './harness'

let server: Server
let browser: Browser

beforeAll(async () => {
  server = await startServer(['--tokens=e2e-token'])
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

it('says plainly that a token is needed, and works with ?access_token=', async () => {
  const page = await browser.newPage()
  await page.goto(`${server.url}/?transport=ws`)
  await page.waitForSelector('[data-testid=connection-refused]', { timeout: 15000 })
  expect(await page.getAttribute('[data-testid=connection-status]', 'data-status')).toBe('closed')
  await screenshot(page, 'auth-refused')

  await page.goto(`${server.url}/?transport=ws&access_token=e2e-token`)
  await page.waitForSelector('[data-testid=connection-status][data-status=open]')
  await page.click('[data-testid=start]')
  await page.waitForSelector('[data-testid=task-state][data-state=completed]')
  expect(await page.$$eval('[data-testid=finding-row]', (r) => r.length)).toBe(6)

  const sse = await browser.newPage()
  await sse.goto(`${server.url}/?transport=sse&access_token=e2e-token`)
  await sse.click('[data-testid=start]')
  await sse.waitForSelector('[data-testid=task-state][data-state=completed]')
  expect(await sse.$$eval('[data-testid=finding-row]', (r) => r.length)).toBe(6)
})
