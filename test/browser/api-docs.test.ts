import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPurse, type TestPurse } from '../helpers.js';
import { chromiumAvailable, launchChromium, SCREENSHOTS } from './harness.js';

/**
 * /docs in Chromium: Swagger UI resolves the schemas, so a response shows its
 * fields and a described status, not "string" and "Default Response". Needs no
 * build: /docs is served by the app itself.
 */
const run = chromiumAvailable();

describe.skipIf(!run)('API reference at /docs', () => {
  let p: TestPurse;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    p = await startTestPurse();
    base = await p.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await p?.close();
  });

  it('renders a reservation and its answers as objects with their fields', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/docs`);
    const reserve = page.locator('#operations-generations-reserveGeneration');
    await reserve.locator('.opblock-summary').click();
    const created = reserve.locator('tr.response[data-code="201"]');
    await created.waitFor();
    await expect.poll(() => created.locator('.response-col_description').innerText()).toContain('The reserved generation');
    const example = await created.locator('.example.microlight, .highlight-code').first().innerText();
    expect(example).toContain('"customerId": "u_42"');
    expect(example).toContain('"status": "reserved"');
    expect(example.trim()).not.toBe('"string"');
    expect(await reserve.locator('.opblock-description-wrapper').first().innerText()).toContain('insufficient_credits');
    const refused = await reserve.locator('tr.response[data-code="402"]').innerText();
    expect(refused).toContain('"required"');

    // The Generation schema itself, expanded from the Schemas list, shows its fields.
    const model = page.locator('section.models article[data-json-schema-level="0"]').filter({ has: page.locator('.json-schema-2020-12__title', { hasText: /^Generation$/ }) });
    await model.scrollIntoViewIfNeeded();
    await model.locator('.json-schema-2020-12-accordion').first().click();
    await expect.poll(() => model.innerText()).toContain('allocations');
    expect(await model.innerText()).toContain('One use of a tool');

    mkdirSync(SCREENSHOTS, { recursive: true });
    await reserve.screenshot({ path: join(SCREENSHOTS, 'api-docs.png') });
    await page.close();
  });
});
