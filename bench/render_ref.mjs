#!/usr/bin/env node
// The reference's side of bench/render: renders bench/render.prompt with bench/render.data.json using
// npm dotprompt 1.1.2 in-process, in the same two modes as bench/render.c:
//   compile-once      const fn = await dp.compile(source); then await fn(data) per render
//   source-to-result  await dp.render(source, data) per render (parse, compile, render)
// Each mode warms up (the JIT and Handlebars' lazy compile) before it is timed, then runs ROUNDS
// timed rounds and reports the best round's renders/s (as bench/render.c does: other load on the
// machine only slows rounds down). Prints one JSON line for bench/run-render.sh.
//   node render_ref.mjs [PROMPT] [DATA] [--seconds S]
// The package is loaded from $DOTPROMPT_REF_HOME (default ~/.cache/dotprompt-ref-1.1.2), where
// shared/tools/dotprompt-ref installs it.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let seconds = 2.0;
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') seconds = Number(args[++i]);
  else pos.push(args[i]);
}
const home = process.env.DOTPROMPT_REF_HOME || join(homedir(), '.cache', 'dotprompt-ref-1.1.2');
const require = createRequire(pathToFileURL(join(home, 'package.json')));
const { Dotprompt } = await import(pathToFileURL(require.resolve('dotprompt')).href);

const source = readFileSync(pos[0] || join(here, 'render.prompt'), 'utf-8');
const data = JSON.parse(readFileSync(pos[1] || join(here, 'render.data.json'), 'utf-8'));
const ROUNDS = 5;

// CPU time of this process (all its threads, so the garbage collector's helpers count), in seconds.
// As in bench/render.c, CPU time rather than wall time: other load on a shared machine moves
// wall-clock figures by 2x from run to run.
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// Run `once` repeatedly for about `secs` CPU seconds; return renders per CPU second.
async function rate(once, secs) {
  let n = 0;
  const t0 = cpu();
  let elapsed = 0;
  do {
    for (let i = 0; i < 50; i++) await once();
    n += 50;
    elapsed = cpu() - t0;
  } while (elapsed < secs);
  return n / elapsed;
}

async function measure(once) {
  await rate(once, Math.max(0.5, seconds / 4)); // warm-up
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(await rate(once, seconds / ROUNDS));
  rates.sort((a, b) => a - b);
  return rates[ROUNDS - 1];
}

const dp = new Dotprompt();
const fn = await dp.compile(source);
const check = await fn(data);
if (!check.messages || check.messages.length !== 4) throw new Error('unexpected render result');
const compileOnce = await measure(() => fn(data));
const sourceToResult = await measure(() => dp.render(source, data));
process.stdout.write(JSON.stringify({
  impl: 'dotprompt 1.1.2 (node ' + process.version + ')',
  compile_once: compileOnce,
  source_to_result: sourceToResult,
}) + '\n');
