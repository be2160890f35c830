// The OpenAI API of `mistral-engine serve` through the official client: shapes, streaming, stop
// strings, seeds, n and logprobs, tokenize/detokenize, health, metrics and the prefix cache.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  makeModel, startServer, client, request, tokenCount, metrics, metricValue, collectStream,
} from './helpers.mjs';

describe('OpenAI API', () => {
  const NAME = 'tiny-api';
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

  const CHAT = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Name three colours.' },
  ];
  const PROMPT = 'The quick brown fox jumps over the lazy dog';

  test('models list; non-streaming chat and completions have the OpenAI shape and consistent usage', async () => {
    const models = await openai.models.list();
    assert.equal(models.data.length, 1);
    assert.equal(models.data[0].id, NAME);
    assert.equal(models.data[0].object, 'model');

    const promptTokens = await tokenCount(server, { prompt: PROMPT });
    const c = await openai.completions.create({
      model: NAME, prompt: PROMPT, max_tokens: 10, temperature: 0, ignore_eos: true,
    });
    assert.match(c.id, /^cmpl-/);
    assert.equal(c.object, 'text_completion');
    assert.equal(c.model, NAME);
    assert.equal(typeof c.created, 'number');
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0].index, 0);
    assert.equal(typeof c.choices[0].text, 'string');
    assert.ok(c.choices[0].text.length > 0);
    assert.equal(c.choices[0].finish_reason, 'length');
    assert.equal(c.usage.prompt_tokens, promptTokens);
    assert.equal(c.usage.completion_tokens, 10);
    assert.equal(c.usage.total_tokens, promptTokens + 10);

    const chatTokens = await tokenCount(server, { messages: CHAT });
    const ch = await openai.chat.completions.create({
      model: NAME, messages: CHAT, max_tokens: 8, temperature: 0, ignore_eos: true,
    });
    assert.match(ch.id, /^chatcmpl-/);
    assert.notEqual(ch.id, c.id);
    assert.equal(ch.object, 'chat.completion');
    assert.equal(ch.model, NAME);
    assert.equal(ch.choices.length, 1);
    assert.equal(ch.choices[0].index, 0);
    assert.equal(ch.choices[0].message.role, 'assistant');
    assert.equal(typeof ch.choices[0].message.content, 'string');
    assert.ok(ch.choices[0].message.content.length > 0);
    assert.equal(ch.choices[0].finish_reason, 'length');
    assert.equal(ch.usage.prompt_tokens, chatTokens);
    assert.equal(ch.usage.completion_tokens, 8);
    assert.equal(ch.usage.total_tokens, chatTokens + 8);

    // max_completion_tokens is chat's newer name for max_tokens.
    const ch2 = await openai.chat.completions.create({
      model: NAME, messages: CHAT, max_completion_tokens: 5, temperature: 0, ignore_eos: true,
    });
    assert.equal(ch2.usage.completion_tokens, 5);
    assert.equal(ch2.choices[0].finish_reason, 'length');
    assert.ok(ch.choices[0].message.content.startsWith(ch2.choices[0].message.content),
      'greedy: the 5-token answer is a prefix of the 8-token one');
  });

  test('streaming chat and completions equal the non-streaming greedy text, with usage', async () => {
    // Completions.
    const params = { model: NAME, prompt: PROMPT, max_tokens: 12, temperature: 0 };
    const whole = await openai.completions.create(params);
    const stream = await openai.completions.create({
      ...params, stream: true, stream_options: { include_usage: true },
    });
    const got = await collectStream(stream, { chat: false });
    assert.equal(got.texts.length, 1);
    assert.equal(got.texts[0], whole.choices[0].text);
    assert.equal(got.finish[0], whole.choices[0].finish_reason);
    assert.ok(['length', 'stop'].includes(got.finish[0]));
    assert.ok(got.usage, 'a usage chunk');
    assert.deepEqual(
      { p: got.usage.prompt_tokens, c: got.usage.completion_tokens, t: got.usage.total_tokens },
      { p: whole.usage.prompt_tokens, c: whole.usage.completion_tokens, t: whole.usage.total_tokens });
    const last = got.chunks.at(-1);
    assert.equal(last.choices.length, 0, 'the usage chunk has no choices');
    assert.ok(last.usage);
    for (const ch of got.chunks) {
      assert.equal(ch.object, 'text_completion');
      assert.equal(ch.model, NAME);
      assert.equal(ch.id, got.chunks[0].id);
    }

    // Chat.
    const chatParams = { model: NAME, messages: CHAT, max_tokens: 12, temperature: 0 };
    const chatWhole = await openai.chat.completions.create(chatParams);
    const chatStream = await openai.chat.completions.create({
      ...chatParams, stream: true, stream_options: { include_usage: true },
    });
    const chatGot = await collectStream(chatStream, { chat: true });
    assert.equal(chatGot.texts[0], chatWhole.choices[0].message.content);
    assert.equal(chatGot.finish[0], chatWhole.choices[0].finish_reason);
    assert.ok(['length', 'stop'].includes(chatGot.finish[0]));
    assert.equal(chatGot.chunks[0].choices[0].delta.role, 'assistant', 'the first delta names the role');
    assert.ok(chatGot.usage);
    assert.equal(chatGot.usage.prompt_tokens, chatWhole.usage.prompt_tokens);
    assert.equal(chatGot.usage.completion_tokens, chatWhole.usage.completion_tokens);
    assert.equal(chatGot.usage.total_tokens, chatWhole.usage.total_tokens);
    for (const ch of chatGot.chunks) {
      assert.equal(ch.object, 'chat.completion.chunk');
      assert.match(ch.id, /^chatcmpl-/);
    }

    // Without include_usage there is no usage chunk.
    const plain = await openai.chat.completions.create({ ...chatParams, stream: true });
    const plainGot = await collectStream(plain, { chat: true });
    assert.equal(plainGot.texts[0], chatWhole.choices[0].message.content);
    assert.equal(plainGot.usage, null);
  });

  // A substring of `text` that first occurs at a position well inside it.
  function middleStop(text) {
    for (let start = Math.floor(text.length / 3); start < text.length - 4; ++start) {
      for (const len of [4, 3, 5, 2]) {
        const s = text.slice(start, start + len);
        if (s.trim().length < 2 || s.includes('\uFFFD')) continue;
        if (text.indexOf(s) === start) return s;
      }
    }
    return null;
  }

  test('stop strings cut the text before the stop and finish with "stop", streaming too', async () => {
    const params = { model: NAME, prompt: 'Once upon a time in a land far away', max_tokens: 24, temperature: 0, ignore_eos: true };
    const full = (await openai.completions.create(params)).choices[0].text;
    const stop = middleStop(full);
    assert.ok(stop, `no usable stop string in ${JSON.stringify(full)}`);
    const expected = full.slice(0, full.indexOf(stop));
    assert.ok(expected.length > 0);

    const stopped = await openai.completions.create({ ...params, stop });
    assert.equal(stopped.choices[0].text, expected);
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    assert.ok(stopped.usage.completion_tokens < 24);

    // An array form, with a stop that never occurs next to the one that does.
    const arr = await openai.completions.create({ ...params, stop: ['\u0007never\u0007', stop] });
    assert.equal(arr.choices[0].text, expected);
    assert.equal(arr.choices[0].finish_reason, 'stop');

    const stream = await openai.completions.create({ ...params, stop, stream: true });
    const got = await collectStream(stream, { chat: false });
    assert.equal(got.texts[0], expected);
    assert.equal(got.finish[0], 'stop');

    // Chat as well.
    const chatParams = { model: NAME, messages: CHAT, max_tokens: 24, temperature: 0, ignore_eos: true };
    const chatFull = (await openai.chat.completions.create(chatParams)).choices[0].message.content;
    const chatStop = middleStop(chatFull);
    assert.ok(chatStop, `no usable stop string in ${JSON.stringify(chatFull)}`);
    const chatExpected = chatFull.slice(0, chatFull.indexOf(chatStop));
    const chatStopped = await openai.chat.completions.create({ ...chatParams, stop: [chatStop] });
    assert.equal(chatStopped.choices[0].message.content, chatExpected);
    assert.equal(chatStopped.choices[0].finish_reason, 'stop');
    const chatStream = await openai.chat.completions.create({ ...chatParams, stop: chatStop, stream: true });
    const chatGot = await collectStream(chatStream, { chat: true });
    assert.equal(chatGot.texts[0], chatExpected);
    assert.equal(chatGot.finish[0], 'stop');
  });

  test('seeds: the same seed repeats at temperature 1, different seeds differ', async () => {
    const params = { model: NAME, prompt: 'Paris is the capital of', max_tokens: 16, temperature: 1.0, ignore_eos: true };
    const a = (await openai.completions.create({ ...params, seed: 1234 })).choices[0].text;
    const b = (await openai.completions.create({ ...params, seed: 1234 })).choices[0].text;
    assert.equal(a, b);
    const others = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      others.push((await openai.completions.create({ ...params, seed })).choices[0].text);
    }
    assert.ok(others.some((t) => t !== a), 'at least one other seed gives a different text');

    // Chat too, and streaming with a seed repeats the non-streaming text.
    const chatParams = { model: NAME, messages: CHAT, max_tokens: 16, temperature: 1.0, seed: 99, ignore_eos: true };
    const c1 = (await openai.chat.completions.create(chatParams)).choices[0].message.content;
    const c2 = await collectStream(
      await openai.chat.completions.create({ ...chatParams, stream: true }), { chat: true });
    assert.equal(c2.texts[0], c1);
  });

  test('n=2 and logprobs: counts and shapes; greedy picks the top-1 token', async () => {
    // Completions: logprobs 3.
    const MAX = 8;
    const c = await openai.completions.create({
      model: NAME, prompt: PROMPT, max_tokens: MAX, temperature: 0, n: 2, logprobs: 3, ignore_eos: true,
    });
    assert.equal(c.choices.length, 2);
    assert.deepEqual(c.choices.map((x) => x.index), [0, 1]);
    assert.equal(c.choices[0].text, c.choices[1].text, 'greedy choices agree');
    assert.equal(c.usage.prompt_tokens, await tokenCount(server, { prompt: PROMPT }), 'prompt counted once');
    assert.equal(c.usage.completion_tokens, 2 * MAX);
    assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + 2 * MAX);
    for (const choice of c.choices) {
      assert.equal(choice.finish_reason, 'length');
      const lp = choice.logprobs;
      assert.ok(lp);
      assert.equal(lp.tokens.length, MAX);
      assert.equal(lp.token_logprobs.length, MAX);
      assert.equal(lp.top_logprobs.length, MAX);
      assert.equal(lp.text_offset.length, MAX);
      for (let i = 0; i < MAX; ++i) {
        assert.equal(typeof lp.tokens[i], 'string');
        const chosen = lp.token_logprobs[i];
        assert.ok(Number.isFinite(chosen) && chosen <= 0, `logprob ${chosen}`);
        const alts = Object.values(lp.top_logprobs[i]);
        assert.ok(alts.length >= 1 && alts.length <= 3, `top_logprobs has ${alts.length} entries`);
        for (const v of alts) {
          assert.ok(v <= 0);
          assert.ok(chosen >= v - 1e-6, 'greedy: the chosen token is the most likely');
        }
        assert.ok(Math.abs(Math.max(...alts) - chosen) < 1e-6, 'the top alternative is the chosen token');
        if (i > 0) assert.ok(lp.text_offset[i] >= lp.text_offset[i - 1]);
      }
    }

    // Chat: logprobs true, top_logprobs 2.
    const ch = await openai.chat.completions.create({
      model: NAME, messages: CHAT, max_tokens: MAX, temperature: 0, n: 2, logprobs: true, top_logprobs: 2,
      ignore_eos: true,
    });
    assert.equal(ch.choices.length, 2);
    assert.deepEqual(ch.choices.map((x) => x.index), [0, 1]);
    assert.equal(ch.usage.prompt_tokens, await tokenCount(server, { messages: CHAT }));
    assert.equal(ch.usage.completion_tokens, 2 * MAX);
    for (const choice of ch.choices) {
      assert.equal(choice.message.content, ch.choices[0].message.content);
      const content = choice.logprobs.content;
      assert.equal(content.length, MAX);
      for (const t of content) {
        assert.equal(typeof t.token, 'string');
        assert.ok(Number.isFinite(t.logprob) && t.logprob <= 0);
        assert.ok(Array.isArray(t.bytes) && t.bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256));
        assert.equal(t.top_logprobs.length, 2);
        assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob, 'best first');
        for (const alt of t.top_logprobs) {
          assert.equal(typeof alt.token, 'string');
          assert.ok(alt.logprob <= 0);
          assert.ok(t.logprob >= alt.logprob - 1e-6);
        }
        assert.equal(t.top_logprobs[0].token, t.token, 'greedy: the chosen token is the top one');
        assert.equal(t.top_logprobs[0].logprob, t.logprob);
      }
    }

    // Without logprobs the field is null.
    const none = await openai.chat.completions.create({ model: NAME, messages: CHAT, max_tokens: 2, temperature: 0 });
    assert.equal(none.choices[0].logprobs, null);

    // Streaming n=2: each index gets its text and finish reason, equal to the non-streaming ones.
    const s = await openai.completions.create({
      model: NAME, prompt: PROMPT, max_tokens: MAX, temperature: 0, n: 2, ignore_eos: true, stream: true,
      stream_options: { include_usage: true },
    });
    const got = await collectStream(s, { chat: false });
    assert.deepEqual(got.texts, [c.choices[0].text, c.choices[1].text]);
    assert.deepEqual(got.finish, ['length', 'length']);
    assert.equal(got.usage.completion_tokens, 2 * MAX);
  });

  test('completion text continues the prompt: its first token keeps its leading space', async () => {
    // A completion is appended to its prompt, so its text is its tokens joined, and echo gives the
    // prompt followed by exactly that text.
    const params = { model: NAME, prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 1, ignore_eos: true };
    const c = (await openai.completions.create(params)).choices[0];
    const joined = c.logprobs.tokens.join('');
    assert.ok(!joined.includes('\uFFFD'), 'whole characters only in this continuation');
    assert.ok(c.logprobs.tokens[0].startsWith(' '), 'the first token starts a word');
    assert.equal(c.text, joined, 'the text of a completion is its tokens joined');
    const e = (await openai.completions.create({ ...params, echo: true })).choices[0];
    assert.equal(e.text, PROMPT + joined, 'echo: the prompt, then the completion');
  });

  test('completion logprobs text_offset counts characters, from the start of the choice text', async () => {
    // OpenAI (and vLLM) give text_offset in characters; the continuation holds a CJK character,
    // whose UTF-8 takes 3 bytes but which is one character.
    const params = { model: NAME, prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 1, ignore_eos: true };
    const chars = (str) => Array.from(str).length;
    for (const echo of [false, true]) {
      const c = (await openai.completions.create({ ...params, echo })).choices[0];
      const { tokens, text_offset: off } = c.logprobs;
      assert.ok(tokens.some((tok) => Buffer.byteLength(tok) !== chars(tok)), 'a multi-byte character');
      assert.equal(off[0], echo ? chars(PROMPT) : 0, `echo ${echo}: the first offset`);
      for (let i = 1; i < tokens.length; ++i) {
        assert.equal(off[i] - off[i - 1], chars(tokens[i - 1]),
          `echo ${echo}: text_offset[${i}] follows token ${JSON.stringify(tokens[i - 1])}`);
      }
    }
  });

  test('streaming completions logprobs equal the non-streaming ones, text_offset included', async () => {
    const params = { model: NAME, prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 2, ignore_eos: true };
    const whole = (await openai.completions.create(params)).choices[0];
    const stream = await openai.completions.create({ ...params, stream: true });
    const got = { text: '', tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        got.text += c.text;
        if (!c.logprobs) continue;
        for (const k of ['tokens', 'token_logprobs', 'top_logprobs', 'text_offset']) got[k].push(...c.logprobs[k]);
      }
    }
    assert.equal(got.text, whole.text);
    assert.deepEqual(got.tokens, whole.logprobs.tokens);
    assert.deepEqual(got.token_logprobs, whole.logprobs.token_logprobs);
    assert.deepEqual(got.top_logprobs, whole.logprobs.top_logprobs);
    assert.deepEqual(got.text_offset, whole.logprobs.text_offset,
      'text_offset counts from the start of the choice text across chunks');
  });

  test('streaming completions with echo stream the prompt too', async () => {
    const params = { model: NAME, prompt: PROMPT, max_tokens: 6, temperature: 0, echo: true, ignore_eos: true };
    const whole = (await openai.completions.create(params)).choices[0];
    assert.ok(whole.text.startsWith(PROMPT));
    const got = await collectStream(await openai.completions.create({ ...params, stream: true }), { chat: false });
    assert.equal(got.texts[0], whole.text, 'the streamed text equals the non-streaming echo text');
  });

  test('tokenize/detokenize round trip, health, metrics format, prefix cache', async () => {
    const text = 'Hello world, this is a round trip through the tokenizer.';
    const t = await request(server, '/tokenize', { json: { prompt: text } });
    assert.equal(t.status, 200);
    assert.ok(Array.isArray(t.body.tokens) && t.body.tokens.length > 3);
    assert.equal(t.body.count, t.body.tokens.length);
    assert.equal(t.body.tokens[0], 1, 'BOS first');
    assert.ok(Number.isInteger(t.body.max_model_len) && t.body.max_model_len > 0);
    const d = await request(server, '/detokenize', { json: { tokens: t.body.tokens } });
    assert.equal(d.status, 200);
    assert.equal(d.body.prompt, text);
    const bad = await request(server, '/detokenize', { json: { tokens: [1, 99999999] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'tokens');

    const h = await request(server, '/health', { method: 'GET' });
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: 'ok' });

    // Metrics: every vllm: family has HELP and TYPE; every sample is labelled with the model.
    const m = await metrics(server);
    const families = [
      ['vllm:num_requests_running', 'gauge'], ['vllm:num_requests_waiting', 'gauge'],
      ['vllm:kv_cache_usage_perc', 'gauge'], ['vllm:gpu_cache_usage_perc', 'gauge'],
      ['vllm:num_preemptions_total', 'counter'], ['vllm:prompt_tokens_total', 'counter'],
      ['vllm:generation_tokens_total', 'counter'], ['vllm:request_success_total', 'counter'],
      ['vllm:time_to_first_token_seconds', 'histogram'],
      ['vllm:time_per_output_token_seconds', 'histogram'],
      ['vllm:e2e_request_latency_seconds', 'histogram'],
      ['vllm:request_queue_time_seconds', 'histogram'],
      ['vllm:prefix_cache_queries_total', 'counter'], ['vllm:prefix_cache_hits_total', 'counter'],
      ['mistral_engine_requests_rejected_total', 'counter'],
      ['mistral_engine_requests_aborted_total', 'counter'],
    ];
    for (const [name, type] of families) {
      assert.ok(m.help.has(name), `HELP for ${name}`);
      assert.equal(m.type.get(name), type, `TYPE of ${name}`);
    }
    for (const name of m.type.keys()) {
      if (name.startsWith('vllm:')) assert.ok(m.help.has(name), `HELP for ${name}`);
    }
    assert.ok(m.samples.length > 0);
    for (const s of m.samples) {
      assert.equal(s.labels.model_name, NAME, `model_name on ${s.name}`);
      const base = s.name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(m.type.has(s.name) || m.type.get(base) === 'histogram', `TYPE for sample ${s.name}`);
    }
    assert.ok(metricValue(m, 'vllm:generation_tokens_total') > 0, 'tokens were generated by now');
    assert.ok(metricValue(m, 'vllm:request_success_total', { finished_reason: 'length' }) > 0);
    const ttftCount = metricValue(m, 'vllm:time_to_first_token_seconds_count');
    const inf = m.samples.find((s) => s.name === 'vllm:time_to_first_token_seconds_bucket' && s.labels.le === '+Inf');
    assert.ok(inf, '+Inf bucket');
    assert.equal(inf.value, ttftCount);

    // Prefix cache: a long prompt (well over 4 blocks of 16 tokens) sent twice.
    const long = Array.from({ length: 12 }, (_, i) =>
      `Sentence number ${i} talks about caching keys and values for later reuse.`).join(' ');
    const n = await tokenCount(server, { prompt: long });
    assert.ok(n > 64, `long prompt has ${n} tokens`);
    const params = { model: NAME, prompt: long, max_tokens: 8, temperature: 0, ignore_eos: true };
    const before = metricValue(await metrics(server), 'vllm:prefix_cache_hits_total');
    const first = await openai.completions.create(params);
    const mid = metricValue(await metrics(server), 'vllm:prefix_cache_hits_total');
    const second = await openai.completions.create(params);
    const afterHits = metricValue(await metrics(server), 'vllm:prefix_cache_hits_total');
    assert.equal(mid, before, 'a new prompt hits nothing');
    assert.ok(afterHits >= before + 64, `prefix cache hits grew by ${afterHits - before}`);
    assert.equal(second.choices[0].text, first.choices[0].text, 'cached prefix, same output');
    assert.equal(second.usage.prompt_tokens, first.usage.prompt_tokens);
    assert.ok(second.usage.prompt_tokens_details?.cached_tokens >= 64);
  });
});
