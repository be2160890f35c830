// Errors: OpenAI error bodies and the client's error classes, raw-HTTP failure modes (bad JSON,
// wrong types, oversized and non-UTF-8 bodies, unknown routes and methods), then a normal request.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { OpenAI, makeModel, startServer, client, request } from './helpers.mjs';

// Sends raw bytes on a fresh connection and returns everything the server sends until it closes.
// The socket stays open for writing: the server, like nginx, takes end-of-input while it works
// on a request as the client going away.
function rawExchange(server, bytes, timeoutMs = 10_000) {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: hostname, port: Number(port) }, () => sock.write(bytes));
    const chunks = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no close within the time limit'));
    }, timeoutMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

describe('errors', () => {
  const NAME = 'tiny-errors';
  let model, server, openai;

  before(async () => {
    model = makeModel();
    server = await startServer(model.file, ['--max-body-bytes', '64KiB', '--max-model-len', '64'], {
      name: NAME,
    });
    openai = client(server);
  });

  after(async () => {
    await server?.stop();
    model?.cleanup();
  });

  const messages = [{ role: 'user', content: 'Hi' }];

  // Awaits a rejected openai call and returns its error.
  async function failure(promise) {
    try {
      await promise;
    } catch (e) {
      return e;
    }
    assert.fail('the request should have failed');
  }

  function assertErrorBody(body, { param, code } = {}) {
    assert.ok(body && typeof body.error === 'object', `an OpenAI error body: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error.message, 'string');
    assert.ok(body.error.message.length > 0);
    assert.equal(typeof body.error.type, 'string');
    assert.ok('param' in body.error && 'code' in body.error);
    if (param !== undefined) assert.equal(body.error.param, param);
    if (code !== undefined) assert.equal(body.error.code, code);
  }

  test('openai client error classes: bad params, unknown model, context overflow', async () => {
    let e = await failure(openai.chat.completions.create({ model: NAME, messages, temperature: -1 }));
    assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'temperature');
    assert.equal(e.type, 'invalid_request_error');

    e = await failure(openai.completions.create({ model: NAME, prompt: 'Hi', max_tokens: -5 }));
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'max_tokens');

    e = await failure(openai.completions.create({ model: NAME, prompt: 'Hi', top_p: 1.5 }));
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'top_p');

    e = await failure(openai.completions.create({ model: NAME, prompt: 'Hi', logprobs: 21 }));
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'logprobs');

    e = await failure(openai.chat.completions.create({ model: NAME, messages, top_logprobs: 2 }));
    assert.ok(e instanceof OpenAI.BadRequestError, 'top_logprobs without logprobs');
    assert.equal(e.param, 'top_logprobs');

    e = await failure(openai.chat.completions.create({
      model: NAME, messages: [{ role: 'wizard', content: 'x' }],
    }));
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'messages[0].role');

    e = await failure(openai.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 2 }));
    assert.ok(e instanceof OpenAI.NotFoundError, `got ${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'model_not_found');
    assert.equal(e.param, 'model');

    e = await failure(openai.completions.create({ model: NAME, prompt: 'Hi', max_tokens: 10_000_000 }));
    assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}: ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.code, 'context_length_exceeded');
    assert.equal(e.param, 'prompt');

    e = await failure(openai.chat.completions.create({ model: NAME, messages, max_tokens: 10_000_000 }));
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.code, 'context_length_exceeded');
    assert.equal(e.param, 'messages');
  });

  test('--max-model-len caps prompt plus output below the model\'s own context', async () => {
    const models = await openai.models.list();
    assert.equal(models.data[0].max_model_len, 64);
    const e = await failure(openai.completions.create({ model: NAME, prompt: 'Hi', max_tokens: 64 }));
    assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}: ${e}`);
    assert.equal(e.code, 'context_length_exceeded');
    const ok = await openai.completions.create({ model: NAME, prompt: 'Hi', max_tokens: 8, temperature: 0 });
    assert.equal(ok.usage.prompt_tokens + ok.usage.completion_tokens <= 64, true);
  });

  test('raw HTTP: malformed JSON, wrong types, too large, bad UTF-8, unknown routes, unknown fields', async () => {
    // Malformed JSON.
    let r = await request(server, '/v1/completions', { body: '{"prompt": "Hi", "max_tokens": ' });
    assert.equal(r.status, 400);
    assertErrorBody(r.body);
    assert.equal(r.body.error.type, 'invalid_request_error');
    assert.match(r.headers.get('content-type'), /application\/json/);

    r = await request(server, '/v1/chat/completions', { body: '' });
    assert.equal(r.status, 400);
    assertErrorBody(r.body);

    r = await request(server, '/v1/completions', { body: '[1, 2, 3]' });
    assert.equal(r.status, 400, 'a body that is not an object');
    assertErrorBody(r.body);

    // Wrong types name the parameter.
    const wrong = [
      ['/v1/completions', { prompt: 5 }, 'prompt'],
      ['/v1/completions', { prompt: [] }, 'prompt'],
      ['/v1/chat/completions', { messages: 'x' }, 'messages'],
      ['/v1/chat/completions', { messages: [] }, 'messages'],
      ['/v1/completions', { prompt: 'Hi', stop: [1] }, 'stop'],
      ['/v1/completions', { prompt: 'Hi', stop: 7 }, 'stop'],
      ['/v1/completions', { prompt: 'Hi', temperature: 'hot' }, 'temperature'],
      ['/v1/completions', { prompt: 'Hi', max_tokens: 2.5 }, 'max_tokens'],
      ['/v1/completions', { prompt: 'Hi', n: 0 }, 'n'],
      ['/v1/completions', { prompt: 'Hi', stream: 'yes' }, 'stream'],
      ['/v1/completions', { prompt: 'Hi', stream_options: { include_usage: true } }, 'stream_options'],
      ['/v1/completions', { prompt: 'Hi', model: 42 }, 'model'],
      ['/v1/completions', { prompt: [1, 99999999] }, 'prompt'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
    ];
    for (const [route, json, param] of wrong) {
      r = await request(server, route, { json });
      assert.equal(r.status, 400, `${route} ${JSON.stringify(json)} -> ${r.status} ${r.text}`);
      assertErrorBody(r.body, { param });
    }

    // Over --max-body-bytes (64 KiB): refused from the declared length, and the answer reaches
    // the client even while it is still sending a body 64 times the limit.
    for (const size of [128 * 1024, 4 << 20]) {
      r = await request(server, '/v1/completions', {
        json: { prompt: 'x'.repeat(size), max_tokens: 1 },
      });
      assert.equal(r.status, 413, `body of ${size} bytes`);
      assertErrorBody(r.body);
    }

    // Invalid UTF-8 inside a JSON string.
    const bad = Buffer.concat([
      Buffer.from('{"prompt": "abc'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('", "max_tokens": 2}'),
    ]);
    r = await request(server, '/v1/completions', { body: bad });
    assert.equal(r.status, 400);
    assertErrorBody(r.body);
    r = await request(server, '/tokenize', { body: bad });
    assert.equal(r.status, 400);
    assertErrorBody(r.body);

    // Unknown path and wrong method.
    r = await request(server, '/v1/nope', { json: {} });
    assert.equal(r.status, 404);
    assertErrorBody(r.body);
    r = await request(server, '/v1/embeddings', { json: { input: 'x' } });
    assert.equal(r.status, 404);
    r = await request(server, '/v1/completions', { method: 'GET' });
    assert.equal(r.status, 405);
    assertErrorBody(r.body);
    r = await request(server, '/v1/models', { method: 'POST', json: {} });
    assert.equal(r.status, 405);

    // Unknown fields are ignored.
    r = await request(server, '/v1/completions', {
      json: { model: NAME, prompt: 'Hi', max_tokens: 2, temperature: 0, frobnicate: true, extra: { a: [1] } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.choices.length, 1);
    r = await request(server, '/v1/chat/completions', {
      json: { messages, max_tokens: 2, temperature: 0, tools_maybe: [] },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.object, 'chat.completion');
  });

  test('HEAD answers without a body; HTTP/1.0 streams come unchunked; deep JSON is refused', async () => {
    // A HEAD then a GET pipelined on one connection: the GET's answer must not be swallowed.
    let raw = await rawExchange(server,
      'HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const answers = raw.split('HTTP/1.1 ').filter(Boolean);
    assert.equal(answers.length, 2, raw);
    assert.match(answers[0], /^200 /);
    assert.ok(answers[0].endsWith('\r\n\r\n'), `HEAD answer has a body: ${JSON.stringify(answers[0])}`);
    assert.match(answers[1], /^200 [\s\S]*"status":"ok"/);

    const body = JSON.stringify({ model: NAME, prompt: 'Hi', max_tokens: 3, temperature: 0, ignore_eos: true, stream: true });
    raw = await rawExchange(server,
      `POST /v1/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    assert.match(raw, /^HTTP\/1\.0 200 /);
    assert.doesNotMatch(raw, /Transfer-Encoding: chunked/i);
    const events = raw.split('\r\n\r\n').slice(1).join('\r\n\r\n').split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    for (const e of events) assert.match(e, /^data: /);

    const deep = `{"prompt": [1, ${'['.repeat(200000)}`;
    const r = await request(server, '/v1/completions', { body: deep, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413);  // over this server's 64 KiB limit
    const nested = `{"prompt": [1, ${'['.repeat(30000)}`;
    const r2 = await request(server, '/v1/completions', { body: nested, headers: { 'content-type': 'application/json' } });
    assert.equal(r2.status, 400);
    assert.match(r2.body.error.message, /nests deeper/);
  });

  test('after all of that the server still serves normal requests', async () => {
    const health = await request(server, '/health', { method: 'GET' });
    assert.equal(health.status, 200);
    const c = await openai.completions.create({ model: NAME, prompt: 'Hello there', max_tokens: 4, temperature: 0, ignore_eos: true });
    assert.equal(c.choices[0].finish_reason, 'length');
    assert.equal(c.usage.completion_tokens, 4);
    const ch = await openai.chat.completions.create({ model: NAME, messages, max_tokens: 4, temperature: 0, ignore_eos: true });
    assert.equal(ch.usage.completion_tokens, 4);
    const s = await openai.chat.completions.create({ model: NAME, messages, max_tokens: 4, temperature: 0, stream: true });
    let text = '';
    for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, ch.choices[0].message.content);
  });
});
