// Continuous batching: concurrent greedy requests give what they give alone, and clients that go
// away mid-stream cancel their sequences without disturbing the others or leaking KV blocks.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  OpenAI, makeModel, startServer, client, metrics, metricValue, pollUntil, collectStream, PROMPTS,
} from './helpers.mjs';

describe('batching', () => {
  const NAME = 'tiny-batching';
  let model, server, openai;

  before(async () => {
    model = makeModel();
    server = await startServer(model.file, [], { name: NAME });
    openai = client(server);
  });

  after(async () => {
    await server?.stop();
    model?.cleanup();
  });

  test('16 concurrent greedy requests each equal the same request sent alone', async (t) => {
    // Half completions, half chat, so both endpoints share the batch.
    const call = (i) => (i % 2 === 0
      ? openai.completions.create({ model: NAME, prompt: PROMPTS[i], max_tokens: 12, temperature: 0 })
        .then((r) => ({ text: r.choices[0].text, finish: r.choices[0].finish_reason, n: r.usage.completion_tokens }))
      : openai.chat.completions.create({
        model: NAME, messages: [{ role: 'user', content: PROMPTS[i] }], max_tokens: 12, temperature: 0,
      }).then((r) => ({ text: r.choices[0].message.content, finish: r.choices[0].finish_reason, n: r.usage.completion_tokens })));
    const ids = Array.from({ length: 16 }, (_, i) => i);
    const alone = [];
    for (const i of ids) alone.push(await call(i));
    const texts = new Set(alone.map((a) => a.text));
    assert.ok(texts.size > 8, 'different prompts give different texts');

    const steps = async () => metricValue(await metrics(server), 'mistral_engine_step_seconds_count');
    for (let round = 0; round < 2; ++round) {
      const stepsBefore = await steps();
      const together = await Promise.all(ids.map(call));
      const used = (await steps()) - stepsBefore;
      for (const i of ids) {
        assert.deepEqual(together[i], alone[i], `request ${i} in round ${round}`);
      }
      // Alone they take 16 x 12 forward passes; sharing them proves they were batched.
      const total = alone.reduce((sum, a) => sum + a.n, 0);
      assert.ok(used < total, `round ${round}: ${used} steps for ${total} tokens`);
      t.diagnostic(`round ${round}: ${used} steps for ${total} tokens`);
    }
  });

  test('cancelled streams free their sequences; the others complete whole', async (t) => {
    const MAX = 40;
    const params = (i) => ({
      model: NAME, prompt: PROMPTS[i], max_tokens: MAX, temperature: 0, ignore_eos: true,
    });
    const kept = Array.from({ length: 32 }, (_, i) => i).filter((i) => i % 2 === 0);
    const expected = new Map();
    for (const i of kept) {
      const r = await openai.completions.create(params(i));
      assert.equal(r.usage.completion_tokens, MAX);
      expected.set(i, r.choices[0].text);
    }
    const abortedBefore = metricValue(await metrics(server), 'mistral_engine_requests_aborted_total') ?? 0;

    const run = async (i) => {
      const stream = await openai.completions.create({
        ...params(i), stream: true, stream_options: { include_usage: true },
      });
      if (expected.has(i)) {
        const got = await collectStream(stream, { chat: false });
        return { i, kind: 'kept', got };
      }
      let chunks = 0;
      try {
        for await (const chunk of stream) {
          assert.ok(chunk.choices.length <= 1);
          if (++chunks >= 2) {
            stream.controller.abort();
            break;
          }
        }
      } catch (e) {
        if (!(e instanceof OpenAI.APIUserAbortError) && e?.name !== 'AbortError') throw e;
      }
      return { i, kind: 'aborted', chunks };
    };
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => run(i)));

    for (const r of results) {
      if (r.kind === 'aborted') {
        assert.equal(r.chunks, 2, `stream ${r.i} was cut after two chunks`);
        continue;
      }
      assert.equal(r.got.texts[0], expected.get(r.i), `stream ${r.i} is whole`);
      assert.equal(r.got.finish[0], 'length');
      assert.equal(r.got.usage?.completion_tokens, MAX);
    }

    // The server notices the closed connections and frees everything.
    const m = await pollUntil(async () => {
      const p = await metrics(server);
      const idle = metricValue(p, 'vllm:num_requests_running') === 0 &&
        metricValue(p, 'vllm:num_requests_waiting') === 0 &&
        metricValue(p, 'vllm:kv_cache_usage_perc') === 0 &&
        metricValue(p, 'vllm:gpu_cache_usage_perc') === 0 &&
        metricValue(p, 'mistral_engine_requests_aborted_total') > abortedBefore;
      return idle ? p : null;
    }, { timeoutMs: 20_000, what: 'no running sequences, an empty KV cache and counted aborts' });
    const aborted = metricValue(m, 'mistral_engine_requests_aborted_total') - abortedBefore;
    assert.ok(aborted > 0 && aborted <= 16, `${aborted} sequences aborted`);
    t.diagnostic(`${aborted} sequences aborted`);

    // And it still answers as before.
    const again = await openai.completions.create(params(0));
    assert.equal(again.choices[0].text, expected.get(0));
  });
});

describe('preemption', () => {
  const NAME = 'tiny-preempt';
  let model, server, openai;

  before(async () => {
    model = makeModel();
    // 256 KiB of KV cache: 16 blocks of 16 tokens, far less than 8 sequences of ~50 tokens need.
    server = await startServer(model.file, ['--kv-cache-memory', '256KiB'], { name: NAME });
    openai = client(server);
  });

  after(async () => {
    await server?.stop();
    model?.cleanup();
  });

  test('sequences preempted for KV blocks and recomputed give the same text, streamed or not', async (t) => {
    const MAX = 40;
    const params = (i) => ({ model: NAME, prompt: PROMPTS[i], max_tokens: MAX, temperature: 0, ignore_eos: true });
    const alone = [];
    for (let i = 0; i < 8; ++i) alone.push((await openai.completions.create(params(i))).choices[0].text);
    const before = metricValue(await metrics(server), 'vllm:num_preemptions_total');

    const whole = Promise.all(alone.map((_, i) => openai.completions.create(params(i))));
    const streamed = Promise.all(alone.map(async (_, i) =>
      collectStream(await openai.completions.create({ ...params(i), stream: true }), { chat: false })));
    const [w, s] = await Promise.all([whole, streamed]);
    for (let i = 0; i < 8; ++i) {
      assert.equal(w[i].choices[0].text, alone[i], `request ${i}`);
      assert.equal(w[i].usage.completion_tokens, MAX);
      assert.equal(s[i].texts[0], alone[i], `stream ${i}`);
      assert.deepEqual(s[i].finish, ['length']);
    }
    const m = await pollUntil(async () => {
      const p = await metrics(server);
      return metricValue(p, 'vllm:num_requests_running') === 0 &&
        metricValue(p, 'vllm:kv_cache_usage_perc') === 0 ? p : null;
    }, { what: 'an idle engine' });
    const preempted = metricValue(m, 'vllm:num_preemptions_total') - before;
    t.diagnostic(`${preempted} preemptions`);
    assert.ok(preempted > 0, 'the KV pool was short, so sequences were preempted');
  });
});
