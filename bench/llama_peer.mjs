// The peer in whole-model benchmarks: llama.cpp's CPU build through node-llama-cpp.
// usage: node bench/llama_peer.mjs MODEL.gguf PROMPT_FILE DECODE_TOKENS THREADS
// Prints one JSON line: prompt and decode tokens/s, measured as our engine measures them.
import { getLlama } from 'node-llama-cpp';

import { readFileSync } from 'node:fs';

const [model_path, prompt_file, n_decode, threads] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const model = await llama.loadModel({ modelPath: model_path });
const prompt = [model.tokens.bos, ...model.tokenize(readFileSync(prompt_file, 'utf8'))];
const n_prompt = prompt.length;
const context = await model.createContext({
  contextSize: Number(n_prompt) + Number(n_decode) + 16,
  batchSize: Math.max(512, Number(n_prompt)),
  threads: Number(threads),
  flashAttention: false,
});
const sequence = context.getSequence();

const t0 = performance.now();
let t1 = 0;
let produced = 0;
for await (const _ of sequence.evaluate(prompt, { temperature: 0 })) {
  // The first token arrives after the prompt's forward pass; later ones one decode step each.
  if (produced === 0) t1 = performance.now();
  if (++produced > Number(n_decode)) break;
}
const t2 = performance.now();
console.log(JSON.stringify({
  prompt_tokens: n_prompt,
  prompt_tokens_per_second: Number(n_prompt) / ((t1 - t0) / 1000),
  decode_tokens_per_second: Number(n_decode) / ((t2 - t1) / 1000),
}));
await context.dispose();
await model.dispose();
await llama.dispose();
