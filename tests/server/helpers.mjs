// Shared helpers for the end-to-end tests of `mistral-engine serve`: a tiny synthetic model, a
// server process on 127.0.0.1 (ephemeral port) that is always killed at the end, raw HTTP calls,
// the official OpenAI client pointed at it, and a Prometheus text parser.
//
// Environment:
//   MF_ENGINE_BIN  the engine binary (default: <source dir>/build/engine/mistral-engine)
//   MF_SOURCE_DIR  the repository root (default: two levels above this file)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

export { OpenAI, sleep };

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.MF_SOURCE_DIR || path.resolve(here, '..', '..');
export const ENGINE_BIN =
  process.env.MF_ENGINE_BIN || path.join(SOURCE_DIR, 'build', 'engine', 'mistral-engine');
export const VOCAB_FROM = path.join(
  SOURCE_DIR, 'node_modules', 'mistral-tokenizer-js', 'mistral-tokenizer.js');

// Every server started and model dir made here, so that a crash, a failed assertion or an
// interruption never leaves a server running or a model behind.
const live = new Set();
const tempDirs = new Set();
function killAll() {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killAll);
// Interrupted (Ctrl-C, or the test runner cancelling this file): kill the servers, then exit as
// the signal would have.
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + number);
  });
}

// A fresh temp dir, removed when this process exits.
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// Spawns `bin args` in the source dir, killed when this process exits, and waits (bounded) until
// its output matches `ready`. Returns { proc, exited, log(), match, stop() }; `exited` resolves to
// { code, signal }. Exiting first, or not matching in time, stops it and throws with its log.
export async function startProcess(bin, args, ready, timeoutMs) {
  const proc = spawn(bin, args, { cwd: SOURCE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let log = '';
  const keep = (chunk) => {
    log += chunk.toString('utf8');
    if (log.length > 1 << 20) log = log.slice(-(1 << 19));  // bounded
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  const handle = {
    proc, exited,
    log: () => log,
    match: null,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!(handle.match = ready.exec(log))) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${path.basename(bin)} did not start (want ${ready}):\n${log}`);
    }
    await sleep(20);
  }
  return handle;
}

// A fresh temp dir holding a tiny random-weight q8_0 model (2 layers, ~19 MiB).
export function makeModel() {
  const dir = tempDir('mf-server-test-');
  const file = path.join(dir, 'tiny.gguf');
  execFileSync(ENGINE_BIN, [
    'synth', '--out', file, '--type', 'q8_0', '--shape', 'tiny', '--layers', '2', '--seed', '3',
    '--vocab-from', VOCAB_FROM,
  ], { cwd: SOURCE_DIR, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return {
    dir, file,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

// Starts `mistral-engine serve` and waits (bounded) until /health says ok.
// `extra` is a list of additional CLI arguments.
export async function startServer(modelFile, extra = [], { name = 'tiny-test' } = {}) {
  const args = [
    'serve', '--model', modelFile, '--host', '127.0.0.1', '--port', '0', '--threads', '1',
    '--served-model-name', name,
    ...(extra.includes('--kv-cache-memory') ? [] : ['--kv-cache-memory', '64MiB']), ...extra,
  ];
  // The first line on stdout names the port.
  const handle =
    await startProcess(ENGINE_BIN, args, /listening on http:\/\/127\.0\.0\.1:(\d+)/, 15_000);
  const port = Number(handle.match[1]);
  const server = { ...handle, name, port, url: `http://127.0.0.1:${port}` };
  try {
    await waitHealthy(server.url, 30_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

export async function waitHealthy(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      const body = await r.text();
      if (r.status === 200) return JSON.parse(body);
      last = `${r.status} ${body}`;
    } catch (e) {
      last = String(e);
    }
    await sleep(50);
  }
  throw new Error(`server at ${url} not healthy within ${timeoutMs} ms (last: ${last})`);
}

export function client(server, opts = {}) {
  return new OpenAI({
    baseURL: `${server.url}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 60_000, ...opts,
  });
}

// POST (or other method) with a JSON (or raw string/Buffer) body; returns status, headers and
// the parsed JSON body when it is JSON.
export async function request(server, route, { method = 'POST', body, json, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(60_000) };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
    init.headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(`${server.url}${route}`, init);
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: r.status, headers: r.headers, text, body: parsed };
}

export async function tokenCount(server, payload) {
  const r = await request(server, '/tokenize', { json: payload });
  if (r.status !== 200) throw new Error(`/tokenize failed: ${r.status} ${r.text}`);
  return r.body.count;
}

// A plain node:http request over a given agent (to reuse one keep-alive connection).
export function httpRequest(server, route, { method = 'GET', agent, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, path: route, method, agent,
      headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      timeout: 10_000,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: data }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// Prometheus text format: HELP and TYPE per metric family, and every sample with its labels.
export function parseMetrics(text) {
  const help = new Map(), type = new Map(), samples = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let m;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) { help.set(m[1], m[2]); continue; }
    if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) { type.set(m[1], m[2]); continue; }
    if (line.startsWith('#')) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;
      let lm;
      let consumed = 0;
      while ((lm = re.exec(m[3]))) { labels[lm[1]] = lm[2]; consumed = re.lastIndex; }
      if (consumed !== m[3].length) throw new Error(`unparsable labels: ${line}`);
    }
    const v = m[4];
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    samples.push({ name: m[1], labels, value });
  }
  return { help, type, samples };
}

export async function metrics(server) {
  const r = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`/metrics: ${r.status}`);
  return parseMetrics(await r.text());
}

// Sum of the samples named `name` whose labels include `where`.
export function metricValue(parsed, name, where = {}) {
  let sum = 0, found = false;
  for (const s of parsed.samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
    sum += s.value;
    found = true;
  }
  return found ? sum : undefined;
}

// Polls `fn` (bounded) until it returns a truthy value; returns it, or throws with `what`.
export async function pollUntil(fn, { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// Resolves or rejects like `promise`, or rejects after `ms` saying `what`; the timer never keeps
// the process alive.
export function withTimeout(promise, ms, what = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Distinct, deterministic prompts.
export const PROMPTS = [
  'The quick brown fox jumps over the lazy dog',
  'Once upon a time in a land far away',
  'In the beginning was the word',
  'Paris is the capital of',
  'def fibonacci(n):',
  'The mitochondria is the powerhouse of the cell',
  'To be or not to be, that is the question',
  'SELECT * FROM users WHERE',
  'Il était une fois une petite fille',
  'Four score and seven years ago',
  'The weather today is',
  'My favourite programming language is',
  'A journey of a thousand miles begins',
  'Water boils at one hundred degrees',
  'The stock market closed higher',
  'Roses are red, violets are blue',
  'It was the best of times, it was the worst of times',
  'Call me Ishmael. Some years ago',
  'All happy families are alike',
  'The sun rises in the east',
  'Knowledge is power',
  'Import the numpy library and',
  'Dear Sir or Madam, I am writing',
  'The first law of thermodynamics states',
  'Once more unto the breach, dear friends',
  'The Eiffel Tower was built in',
  'How many roads must a man walk down',
  'Every good boy deserves fudge',
  'Lorem ipsum dolor sit amet',
  'The answer to life, the universe and everything',
  'Hello, my name is',
  'There is a house in New Orleans',
];

// Reads a whole openai stream of chat or completion chunks into per-choice text, finish reasons
// and the usage chunk.
export async function collectStream(stream, { chat }) {
  const texts = [], finish = [], chunks = [];
  let usage = null;
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      texts[c.index] ??= '';
      texts[c.index] += (chat ? c.delta?.content : c.text) ?? '';
      if (c.finish_reason) finish[c.index] = c.finish_reason;
    }
  }
  return { texts, finish, usage, chunks };
}
