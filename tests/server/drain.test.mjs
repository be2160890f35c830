// SIGTERM: the server drains. /health turns 503, new requests are refused, the streams already
// running finish whole, and the process exits 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  makeModel, startServer, client, httpRequest, pollUntil, withTimeout, parseMetrics, metricValue,
  PROMPTS,
} from './helpers.mjs';

describe('SIGTERM drain', () => {
  const NAME = 'tiny-drain';
  let model, server, openai;
  const agents = [];

  before(async () => {
    model = makeModel();
    server = await startServer(model.file, ['--drain-timeout', '30'], { name: NAME });
    openai = client(server);
  });

  after(async () => {
    for (const a of agents) a.destroy();
    await server?.stop();
    model?.cleanup();
  });

  test('in-flight streams complete, health and new requests get 503, exit code 0', async (t) => {
    const MAX = 60;
    const params = (i) => ({
      model: NAME, prompt: PROMPTS[i], max_tokens: MAX, temperature: 0, ignore_eos: true,
    });
    const expected = [];
    for (let i = 0; i < 8; ++i) expected.push((await openai.completions.create(params(i))).choices[0].text);

    // Idle keep-alive connections opened before the signal: the listener closes on SIGTERM,
    // so only connections that already exist can see the draining server's answers.
    const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const postAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(healthAgent, postAgent, metricsAgent);
    assert.equal((await httpRequest(server, '/health', { agent: healthAgent })).status, 200);
    assert.equal((await httpRequest(server, '/health', { agent: postAgent })).status, 200);
    assert.equal((await httpRequest(server, '/health', { agent: metricsAgent })).status, 200);

    // Eight streams; SIGTERM once every one has its first chunk.
    let started = 0;
    let signalled;
    const allStarted = new Promise((resolve) => { signalled = resolve; });
    const streams = Array.from({ length: 8 }, async (_, i) => {
      const stream = await openai.completions.create({
        ...params(i), stream: true, stream_options: { include_usage: true },
      });
      const texts = [], finish = [];
      let usage = null, first = true;
      for await (const chunk of stream) {
        if (first) {
          first = false;
          if (++started === 8) signalled();
        }
        if (chunk.usage) usage = chunk.usage;
        for (const c of chunk.choices) {
          texts[c.index] = (texts[c.index] ?? '') + (c.text ?? '');
          if (c.finish_reason) finish[c.index] = c.finish_reason;
        }
      }
      return { texts, finish, usage };
    });
    await withTimeout(allStarted, 20_000, 'the first chunk of every stream');
    const tSignal = Date.now();
    assert.ok(server.proc.kill('SIGTERM'));
    // The server logs when it handles the signal; from then on it is draining.
    await pollUntil(() => /signal \d+: draining/.test(server.log()),
      { timeoutMs: 10_000, intervalMs: 1, what: 'the drain to begin' });

    // /health on the idle keep-alive connection opened before the signal (retried while it still
    // says 200, should the request slip in between the log line and the drain flag).
    let health = null;
    for (let k = 0; k < 50 && !health; ++k) {
      let r;
      try {
        r = await httpRequest(server, '/health', { agent: healthAgent });
      } catch (e) {
        t.diagnostic(`/health during drain failed: ${e}`);  // drained and gone already
        break;
      }
      if (r.status === 503) health = r;
      else assert.equal(r.status, 200, r.text);
    }
    const caught = health !== null;
    t.diagnostic(`503 from /health during drain ${caught ? 'seen' : 'missed'} after ${Date.now() - tSignal} ms`);
    if (caught) {
      assert.deepEqual(JSON.parse(health.text), { status: 'draining' });
      // A new completion on the other pre-opened connection is refused with an OpenAI error.
      let r = null;
      try {
        r = await httpRequest(server, '/v1/completions', {
          method: 'POST', agent: postAgent, body: JSON.stringify({ prompt: 'Hi', max_tokens: 2 }),
        });
      } catch { /* drained and gone already */ }
      t.diagnostic(`a new request on an open connection: ${r ? r.status : 'connection closed'}`);
      if (r) {
        assert.equal(r.status, 503, r.text);
        assert.equal(JSON.parse(r.text).error.type, 'service_unavailable_error');
        // Counted as rejected while draining (read over a third connection opened earlier).
        const m = await httpRequest(server, '/metrics', { agent: metricsAgent }).catch(() => null);
        if (m) {
          const v = metricValue(parseMetrics(m.text), 'mistral_engine_requests_rejected_total', { reason: 'draining' });
          assert.ok(v >= 1, `rejected{reason="draining"} = ${v}`);
        }
      }
    }
    // A fresh connection is not served by the draining server (refused, or 503).
    try {
      const fresh = await fetch(`${server.url}/v1/completions`, {
        method: 'POST', body: JSON.stringify({ prompt: 'Hi', max_tokens: 2 }),
        headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5_000),
      });
      assert.equal(fresh.status, 503);
      t.diagnostic('a fresh connection got 503');
    } catch (e) {
      assert.ok(!(e instanceof assert.AssertionError), String(e));
      t.diagnostic(`a fresh connection failed: ${e.cause?.code ?? e}`);
    }

    const results = await Promise.all(streams);
    for (let i = 0; i < 8; ++i) {
      const r = results[i];
      assert.deepEqual(r.finish, ['length'], `stream ${i} finish`);
      assert.equal(r.usage?.completion_tokens, MAX, `stream ${i} token count`);
      assert.equal(r.texts[0], expected[i], `stream ${i} text`);
    }

    const exit = await withTimeout(server.exited, 30_000, 'the server to exit after draining');
    assert.deepEqual(exit, { code: 0, signal: null });
    t.diagnostic(`exited ${Date.now() - tSignal} ms after SIGTERM`);
    assert.ok(caught, 'the 503 from /health during the drain was seen');
  });
});
