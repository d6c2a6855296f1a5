#!/usr/bin/env node
// Batch side of tests/differential/random.py: renders many cases in one node process with the
// reference (npm dotprompt 1.1.2), so a few thousand random templates cost seconds, not minutes.
//   node random_ref.mjs IN.json OUT.json
// IN is {"partials": {"name": "source"...}, "cases": [{"source": "...", "data": {...}}...]};
// OUT is [{"ok": RenderedPrompt} | {"error": "..."}...], one per case.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const home = process.env.DOTPROMPT_REF_HOME || join(homedir(), '.cache', 'dotprompt-ref-1.1.2');
const require = createRequire(pathToFileURL(join(home, 'package.json')));
const { Dotprompt } = await import(pathToFileURL(require.resolve('dotprompt')).href);

const { partials = {}, cases } = JSON.parse(readFileSync(process.argv[2], 'utf-8'));
const out = [];
const quiet = console.error;
for (const c of cases) {
  let yamlError = null;
  // The reference logs YAML errors and goes on with the whole file as the template; anything else
  // it logs (e.g. Handlebars' prototype-access warnings) is not a failure.
  console.error = (...a) => {
    const m = a.map(String).join(' ');
    if (m.startsWith('Dotprompt: Error parsing YAML')) yamlError = m;
  };
  try {
    const env = new Dotprompt({ partialResolver: (name) => partials[name] ?? null });
    const r = await env.render(c.source, c.data);
    out.push(yamlError ? { error: 'frontmatter: ' + yamlError } : { ok: JSON.parse(JSON.stringify(r)) });
  } catch (e) {
    out.push({ error: String(e && e.message || e) });
  } finally {
    console.error = quiet;
  }
}
writeFileSync(process.argv[3], JSON.stringify(out));
