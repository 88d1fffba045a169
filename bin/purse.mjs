#!/usr/bin/env node
// The `purse` command: the build (dist/cli.js) when there is one, as in the
// Docker image; otherwise the source through tsx, as in a fresh clone.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
