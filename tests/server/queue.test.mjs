// Admission control: beyond --max-num-seqs running plus --max-waiting queued sequences, requests
// are refused with 429 and a Retry-After header; the ones admitted complete.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  OpenAI, makeModel, startServer, client, request, httpRequest, metrics, metricValue, pollUntil, sleep,
} from './helpers.mjs';

describe('queue full', () => {
  const NAME = 'tiny-queue';
  let model, server, openai;

  before(async () => {
    model = makeModel();
    server = await startServer(model.file, ['--max-num-seqs', '1', '--max-waiting', '1'], { name: NAME });
    openai = client(server);
  });

  after(async () => {
    await server?.stop();
    model?.cleanup();
  });

  test('with 1 seat and 1 waiting place, extra concurrent requests get 429 + Retry-After', async (t) => {
    const MAX = 200;
    const body = (i) => ({
      model: NAME, prompt: `Request number ${i} tells a long story`, max_tokens: MAX, temperature: 0,
      ignore_eos: true,
    });
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => request(server, '/v1/completions', { json: body(i) })));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    t.diagnostic(`statuses: ${results.map((r) => r.status).join(', ')}`);
    assert.equal(ok.length + limited.length, 4, `only 200 or 429: ${results.map((r) => `${r.status} ${r.text}`).join('\n')}`);
    assert.ok(limited.length >= 1, 'at least one request is refused');
    assert.ok(ok.length >= 2, 'the running one and the waiting one are served');
    for (const r of limited) {
      const retry = r.headers.get('retry-after');
      assert.ok(retry !== null, 'Retry-After header');
      assert.ok(Number.isInteger(Number(retry)) && Number(retry) >= 0, `Retry-After: ${retry}`);
      assert.equal(r.body.error.type, 'rate_limit_error');
      assert.equal(r.body.error.code, 'queue_full');
      assert.equal(typeof r.body.error.message, 'string');
    }
    for (const r of ok) {
      assert.equal(r.body.choices[0].finish_reason, 'length');
      assert.equal(r.body.usage.completion_tokens, MAX);
    }
    const m = await metrics(server);
    assert.equal(
      metricValue(m, 'mistral_engine_requests_rejected_total', { reason: 'queue_full' }), limited.length);

    // The openai client (no retries) surfaces it as RateLimitError. Fill the seat and the waiting
    // place first, and wait until the engine holds both: a finished sequence is counted out
    // before its response is sent, so the earlier requests have freed their places.
    const hold = [0, 1].map((i) => request(server, '/v1/completions', { json: body(10 + i) }));
    try {
      await pollUntil(async () => {
        const p = await metrics(server);
        return metricValue(p, 'vllm:num_requests_running') === 1 &&
          metricValue(p, 'vllm:num_requests_waiting') === 1;
      }, { timeoutMs: 10_000, intervalMs: 5, what: 'one running and one waiting sequence' });
    } catch (e) {
      const held = await Promise.all(hold);
      throw new Error(`${e.message}; the two requests got ${held.map((r) => `${r.status} ${r.text.slice(0, 200)}`).join(' | ')}`);
    }
    let err;
    try {
      await openai.completions.create(body(20));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof OpenAI.RateLimitError, `got ${err?.constructor?.name}: ${err}`);
    assert.equal(err.status, 429);
    assert.ok(err.headers.get('retry-after'));
    for (const r of await Promise.all(hold)) assert.equal(r.status, 200);

    // Once the queue has drained, requests are served again at once.
    const after = await openai.completions.create({ ...body(40), max_tokens: 4 });
    assert.equal(after.usage.completion_tokens, 4);
  });
});

describe('capacity released with the response', () => {
  const NAME = 'tiny-sequential';
  let model, server;
  const agents = [];

  before(async () => {
    model = makeModel();
    server = await startServer(model.file, ['--max-num-seqs', '2', '--max-waiting', '0'], { name: NAME });
  });

  after(async () => {
    for (const a of agents) a.destroy();
    await server?.stop();
    model?.cleanup();
  });

  test('clients that each wait for their response are never refused when within capacity', async (t) => {
    // Two clients, each sending its next request only once the previous response arrived: at most
    // two sequences are ever in flight, which two seats hold, so none may be refused.
    const body = JSON.stringify({ model: NAME, prompt: 'Hi', max_tokens: 1, temperature: 0 });
    const statuses = new Map();
    const deadline = Date.now() + 4_000;
    let sent = 0;
    const clientLoop = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      for (let k = 0; k < 2000 && Date.now() < deadline; ++k) {
        const r = await httpRequest(server, '/v1/completions', { method: 'POST', agent, body });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        ++sent;
      }
    };
    await Promise.all([clientLoop(), clientLoop()]);
    const summary = [...statuses].map(([s, n]) => `${n} x ${s}`).join(', ');
    t.diagnostic(`${sent} requests from two sequential clients: ${summary}`);
    assert.ok(sent >= 100, `only ${sent} requests in 4 s`);
    assert.deepEqual([...statuses.keys()], [200], `statuses of ${sent} requests: ${summary}`);
  });
});
