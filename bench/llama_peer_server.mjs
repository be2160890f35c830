// The llama.cpp peer behind an OpenAI-compatible HTTP endpoint, so one load generator can drive
// both it and `mistral-engine serve`. llama.cpp is the prebuilt CPU build inside node-llama-cpp.
//
// usage: node bench/llama_peer_server.mjs --model F.gguf [--host 127.0.0.1] [--port 0]
//          [--parallel 16] [--ctx-per-seq 1024] [--threads 2] [--batch 512] [--served-model-name NAME]
//
// Like llama-server --parallel N: one context with N sequences (each with its own ctx-per-seq
// cells of KV cache); a request holds one sequence while it runs, requests beyond N wait in FIFO
// order. node-llama-cpp gathers the pending decodes of all the context's sequences into shared
// llama_decode batches (prompt chunks of new requests mixed with decode steps of running ones).
// Prints "listening on http://HOST:PORT" on stdout once the model is loaded and the port is open.
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const USAGE = 'usage: node bench/llama_peer_server.mjs --model F.gguf [--host 127.0.0.1] [--port 0] ' +
  '[--parallel 16] [--ctx-per-seq 1024] [--threads 2] [--batch 512] [--served-model-name NAME]';

function parseArgs(argv) {
  const opts = {
    model: null, host: '127.0.0.1', port: 0, parallel: 16, ctxPerSeq: 1024, threads: 2, batch: 512,
    servedModelName: null,
  };
  const names = {
    '--model': 'model', '--host': 'host', '--port': 'port', '--parallel': 'parallel',
    '--ctx-per-seq': 'ctxPerSeq', '--threads': 'threads', '--batch': 'batch',
    '--served-model-name': 'servedModelName',
  };
  const numeric = new Set(['port', 'parallel', 'ctxPerSeq', 'threads', 'batch']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const key = names[arg];
    if (key == null) throw new Error(`unknown option ${arg}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      value = argv[++i];
    }
    if (numeric.has(key)) {
      const n = Number(value);
      const min = key === 'port' ? 0 : 1;
      if (!Number.isInteger(n) || n < min || (key === 'port' && n > 65535)) {
        throw new Error(`${arg} needs an integer >= ${min}, got ${JSON.stringify(value)}`);
      }
      opts[key] = n;
    } else {
      opts[key] = value;
    }
  }
  if (!opts.model) throw new Error('--model is required');
  if (!opts.servedModelName) opts.servedModelName = path.basename(opts.model).replace(/\.gguf$/i, '');
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`llama_peer_server: ${err.message}\n${USAGE}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Model, context and the pool of sequences.

const llama = await getLlama({
  gpu: false,
  build: 'never',
  maxThreads: opts.threads,
  logLevel: LlamaLogLevel.error,
});
const model = await llama.loadModel({ modelPath: opts.model });
// In node-llama-cpp 3.x `contextSize` is per sequence: the KV cache gets sequences * contextSize
// cells (what llama-server calls --ctx-size parallel*ctx-per-seq with --parallel parallel).
const context = await model.createContext({
  sequences: opts.parallel,
  contextSize: opts.ctxPerSeq,
  batchSize: opts.batch,
  threads: opts.threads,
  flashAttention: false,
  failedCreationRemedy: false,
});
const freeSequences = [];
for (let i = 0; i < opts.parallel; i++) freeSequences.push(context.getSequence());
const waiters = []; // FIFO of {resolve, reject, signal, onAbort}

const BOS = model.tokens.bos;
const EOS = model.tokens.eos;

function acquireSequence(signal) {
  if (signal.aborted) return Promise.reject(new AbortedError());
  if (freeSequences.length > 0 && waiters.length === 0) return Promise.resolve(freeSequences.pop());
  return new Promise((resolve, reject) => {
    const waiter = { resolve, reject, signal, onAbort: null };
    waiter.onAbort = () => {
      const k = waiters.indexOf(waiter);
      if (k >= 0) waiters.splice(k, 1);
      reject(new AbortedError());
    };
    signal.addEventListener('abort', waiter.onAbort, { once: true });
    waiters.push(waiter);
  });
}

async function releaseSequence(sequence) {
  try {
    await sequence.clearHistory();
  } catch (err) {
    console.error(`llama_peer_server: clearing a sequence failed (${err.message}); replacing it`);
    try { await sequence.dispose(); } catch { /* already gone */ }
    sequence = null;
    // The sequence id comes back to the context asynchronously after dispose.
    for (let tries = 0; tries < 100 && sequence == null; tries++) {
      if (context.sequencesLeft > 0) sequence = context.getSequence();
      else await new Promise((r) => setTimeout(r, 10));
    }
    if (sequence == null) {
      console.error('llama_peer_server: lost a sequence; parallelism is one lower');
      return;
    }
  }
  while (waiters.length > 0) {
    const waiter = waiters.shift();
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    if (waiter.signal.aborted) {
      waiter.reject(new AbortedError());
      continue;
    }
    waiter.resolve(sequence);
    return;
  }
  freeSequences.push(sequence);
}

class AbortedError extends Error {
  constructor() { super('client disconnected'); }
}

class ApiError extends Error {
  constructor(status, message, type = 'invalid_request_error', param = null) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
  }
}

// ---------------------------------------------------------------------------------------------
// Prompts.

// Mistral's instruct templates, as mistral-common writes them: V1 spells [INST] / [/INST] as
// text, V3 (v0.3 vocabularies) has them as control tokens. Always starts with BOS.
function controlToken(text) {
  const ids = model.tokenize(text, true);
  return ids.length === 1 && model.isSpecialToken(ids[0]) ? ids[0] : null;
}
const INST = controlToken('[INST]');
const END_INST = controlToken('[/INST]');
const chatV3 = INST != null && END_INST != null;

function messageText(m, k) {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) {
    return m.content.map((part) => {
      if (part && part.type === 'text' && typeof part.text === 'string') return part.text;
      throw new ApiError(400, `messages[${k}].content: only text parts are supported`, undefined, 'messages');
    }).join('');
  }
  if (m.content == null) return '';
  throw new ApiError(400, `messages[${k}].content must be a string`, undefined, 'messages');
}

function chatPromptTokens(messages) {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ApiError(400, "'messages' must be a non-empty array", undefined, 'messages');
  }
  const system = [];
  const turns = [];
  messages.forEach((m, k) => {
    if (m == null || typeof m !== 'object') throw new ApiError(400, `messages[${k}] must be an object`, undefined, 'messages');
    const text = messageText(m, k);
    if (m.role === 'system') system.push(text);
    else if (m.role === 'user' || m.role === 'assistant') turns.push({ role: m.role, text });
    else throw new ApiError(400, `messages[${k}].role ${JSON.stringify(m.role)} is not supported`, undefined, 'messages');
  });
  if (turns.length === 0 || turns[turns.length - 1].role !== 'user') {
    throw new ApiError(400, 'the conversation must end with a user message', undefined, 'messages');
  }
  const userIdx = turns.map((t, i) => (t.role === 'user' ? i : -1)).filter((i) => i >= 0);
  const systemTurn = chatV3 ? userIdx[userIdx.length - 1] : userIdx[0];
  const systemText = system.join('\n\n');
  const out = BOS != null ? [BOS] : [];
  turns.forEach((t, i) => {
    if (t.role === 'user') {
      const content = i === systemTurn && systemText ? `${systemText}\n\n${t.text}` : t.text;
      if (chatV3) out.push(INST, ...model.tokenize(content, false), END_INST);
      else out.push(...model.tokenize(`[INST] ${content} [/INST]`, false));
    } else {
      out.push(...model.tokenize(chatV3 ? t.text.replace(/ +$/, '') : t.text, false));
      if (EOS != null) out.push(EOS);
    }
  });
  return out;
}

function completionPromptTokens(prompt) {
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((t) => Number.isInteger(t) && t >= 0)) {
    return prompt.slice(); // already token ids, used as given
  }
  if (typeof prompt !== 'string') {
    throw new ApiError(400, "'prompt' must be a string", undefined, 'prompt');
  }
  const ids = model.tokenize(prompt, false);
  // As llama-server does for a vocabulary that adds BOS.
  if (BOS != null && ids[0] !== BOS) ids.unshift(BOS);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Request parsing.

function numberField(body, name, dflt, min, max) {
  const v = body[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ApiError(400, `'${name}' must be a number in [${min}, ${max}]`, undefined, name);
  }
  return v;
}

function intField(body, name, dflt, min, max) {
  const v = numberField(body, name, dflt, min, max);
  if (v !== dflt && !Number.isInteger(v)) throw new ApiError(400, `'${name}' must be an integer`, undefined, name);
  return v;
}

function boolField(body, name, dflt) {
  const v = body[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new ApiError(400, `'${name}' must be a boolean`, undefined, name);
  return v;
}

function parseJob(body, chat) {
  if (body == null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a JSON object');
  }
  const promptTokens = chat ? chatPromptTokens(body.messages) : completionPromptTokens(body.prompt);
  const limit = opts.ctxPerSeq;
  if (promptTokens.length >= limit) {
    throw new ApiError(400, `the prompt has ${promptTokens.length} tokens; this server's context is ${limit} tokens per sequence`);
  }
  const maxName = chat && body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  let maxTokens = intField(body, maxName, null, 1, 2 ** 30);
  if (maxTokens == null) maxTokens = chat ? limit - promptTokens.length : 16;
  if (promptTokens.length + maxTokens > limit) {
    throw new ApiError(400, `the prompt (${promptTokens.length} tokens) plus ${maxName} (${maxTokens}) ` +
      `exceeds the context of ${limit} tokens per sequence`, undefined, maxName);
  }
  const n = intField(body, 'n', 1, 1, 1);
  void n;
  const streamOptions = body.stream_options;
  if (streamOptions != null && (typeof streamOptions !== 'object' || Array.isArray(streamOptions))) {
    throw new ApiError(400, "'stream_options' must be an object", undefined, 'stream_options');
  }
  const sampling = { temperature: numberField(body, 'temperature', 1, 0, 2) };
  if (sampling.temperature > 0) {
    sampling.topP = numberField(body, 'top_p', 1, 0, 1);
    sampling.topK = intField(body, 'top_k', 0, 0, 2 ** 30); // 0: the whole vocabulary
    sampling.minP = numberField(body, 'min_p', 0, 0, 1);
    const seed = body.seed;
    if (seed != null) {
      if (!Number.isInteger(seed)) throw new ApiError(400, "'seed' must be an integer", undefined, 'seed');
      sampling.seed = seed >>> 0;
    }
  }
  return {
    chat,
    promptTokens,
    maxTokens,
    sampling,
    ignoreEos: boolField(body, 'ignore_eos', false),
    stream: boolField(body, 'stream', false),
    includeUsage: streamOptions != null && streamOptions.include_usage === true,
  };
}

// ---------------------------------------------------------------------------------------------
// Generation.

// Turns generated tokens into text pieces for streaming: holds tokens back while they end in an
// incomplete UTF-8 sequence, and detokenizes with the previous tokens as context so that
// SentencePiece's word-leading spaces come out as in one whole detokenize call.
class TextStream {
  constructor(contextTokens) {
    this.prev = contextTokens.slice(-8);
    this.pending = [];
  }
  push(token) {
    this.pending.push(token);
    const text = model.detokenize(this.pending, false, this.prev);
    if (text.endsWith('\uFFFD') && this.pending.length < 4) return '';
    return this.#commit(text);
  }
  flush() {
    if (this.pending.length === 0) return '';
    return this.#commit(model.detokenize(this.pending, false, this.prev));
  }
  #commit(text) {
    this.prev = this.prev.concat(this.pending).slice(-8);
    this.pending = [];
    return text;
  }
}

// Runs one job on one sequence; calls onToken(textPiece) per generated token when streaming.
// Returns {tokens, finishReason}.
async function generate(sequence, job, signal, onToken) {
  const generated = [];
  const stream = onToken ? new TextStream(job.promptTokens) : null;
  let finishReason = 'stop'; // the generator ends without yielding the EOG token unless ignore_eos
  const iterator = sequence.evaluate(job.promptTokens, {
    ...job.sampling,
    yieldEogToken: job.ignoreEos,
  });
  for await (const token of iterator) {
    generated.push(token);
    if (stream) {
      const piece = stream.push(token);
      if (piece) onToken(piece);
    }
    if (signal.aborted) throw new AbortedError();
    if (generated.length >= job.maxTokens) {
      finishReason = 'length';
      break; // returns the generator: nothing more is evaluated
    }
  }
  if (signal.aborted) throw new AbortedError();
  if (stream) {
    const piece = stream.flush();
    if (piece) onToken(piece);
  }
  return { tokens: generated, finishReason };
}

// ---------------------------------------------------------------------------------------------
// HTTP.

function sendJson(res, status, obj) {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res, status, message, type = 'invalid_request_error', param = null) {
  sendJson(res, status, { error: { message, type, param, code: null } });
}

function readBody(req, maxBytes = 64 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new ApiError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function newId(prefix) {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}

async function handleGeneration(req, res, chat) {
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    if (err instanceof ApiError) return sendError(res, err.status, err.message);
    return sendError(res, 400, `invalid JSON body: ${err.message}`);
  }
  let job;
  try {
    job = parseJob(body, chat);
  } catch (err) {
    if (err instanceof ApiError) return sendError(res, err.status, err.message, err.type, err.param);
    return sendError(res, 400, err.message);
  }

  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });

  const id = newId(chat ? 'chatcmpl' : 'cmpl');
  const created = Math.floor(Date.now() / 1000);
  const object = chat ? 'chat.completion' : 'text_completion';
  const chunkObject = chat ? 'chat.completion.chunk' : 'text_completion';
  const usage = (n) => ({
    prompt_tokens: job.promptTokens.length,
    completion_tokens: n,
    total_tokens: job.promptTokens.length + n,
  });

  let sequence = null;
  try {
    sequence = await acquireSequence(abort.signal);
    if (!job.stream) {
      const { tokens, finishReason } = await generate(sequence, job, abort.signal, null);
      const text = model.detokenize(tokens, false, job.promptTokens.slice(-8));
      const choice = chat
        ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finishReason }
        : { index: 0, text, logprobs: null, finish_reason: finishReason };
      sendJson(res, 200, {
        id, object, created, model: opts.servedModelName, choices: [choice], usage: usage(tokens.length),
      });
      return;
    }

    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (choices, extra = {}) => ({
      id, object: chunkObject, created, model: opts.servedModelName, choices, ...extra,
    });
    if (chat) send(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    const onToken = (piece) => send(chunk([chat
      ? { index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }
      : { index: 0, text: piece, logprobs: null, finish_reason: null }]));
    const { tokens, finishReason } = await generate(sequence, job, abort.signal, onToken);
    send(chunk([chat
      ? { index: 0, delta: {}, logprobs: null, finish_reason: finishReason }
      : { index: 0, text: '', logprobs: null, finish_reason: finishReason }]));
    if (job.includeUsage) send(chunk([], { usage: usage(tokens.length) }));
    res.end('data: [DONE]\n\n');
  } catch (err) {
    if (err instanceof AbortedError) {
      res.destroy();
      return;
    }
    console.error(`llama_peer_server: generation failed: ${err.stack || err}`);
    if (res.headersSent) {
      res.write(`data: ${JSON.stringify({ error: { message: String(err.message || err), type: 'server_error' } })}\n\n`);
      res.end();
    } else {
      sendError(res, 500, String(err.message || err), 'server_error');
    }
  } finally {
    if (sequence != null) await releaseSequence(sequence);
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
  const fail = (err) => {
    console.error(`llama_peer_server: ${route}: ${err.stack || err}`);
    if (!res.headersSent) sendError(res, 500, String(err.message || err), 'server_error');
    else res.destroy();
  };
  switch (route) {
    case 'GET /health':
      return sendJson(res, 200, { status: 'ok' });
    case 'GET /v1/models':
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: opts.servedModelName, object: 'model', created: startedAt, owned_by: 'llama.cpp' }],
      });
    case 'POST /v1/completions':
      return handleGeneration(req, res, false).catch(fail);
    case 'POST /v1/chat/completions':
      return handleGeneration(req, res, true).catch(fail);
    case 'POST /tokenize':
      // vLLM's shape, so a load generator sizes prompts with the peer's own tokenizer.
      return readBody(req).then((text) => {
        const { prompt } = JSON.parse(text);
        if (typeof prompt !== 'string') return sendError(res, 400, 'prompt must be a string', undefined, 'prompt');
        const tokens = [model.tokens.bos, ...model.tokenize(prompt, false)];
        return sendJson(res, 200, { tokens, count: tokens.length });
      }).catch((err) => sendError(res, 400, String(err.message || err)));
    default:
      req.resume();
      return sendError(res, 404, `no route for ${req.method} ${url.pathname}`, 'not_found_error');
  }
});
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0; // long generations
server.headersTimeout = 60_000;
const startedAt = Math.floor(Date.now() / 1000);

server.listen(opts.port, opts.host, () => {
  const { address, port } = server.address();
  const host = address.includes(':') ? `[${address}]` : address;
  console.log(`listening on http://${host}:${port}`);
  console.error(`llama_peer_server: ${opts.servedModelName}: parallel ${opts.parallel}, ` +
    `ctx ${context.contextSize}/sequence, batch ${context.batchSize}, threads ${opts.threads}, ` +
    `chat template ${chatV3 ? 'V3' : 'V1'}`);
});
server.on('error', (err) => {
  console.error(`llama_peer_server: ${err.message}`);
  process.exit(1);
});

let shuttingDown = false;
async function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  setTimeout(() => process.exit(0), 2000).unref(); // don't hang on a slow dispose
  server.close();
  server.closeAllConnections?.();
  try {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  } finally {
    process.exit(0);
  }
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
