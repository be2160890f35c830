// The peer of mistral-model-bench: llama.cpp (node-llama-cpp) on the same file, the same token ids
// and the same measures, as one JSON line. DEVICE cpu (the default) uses its CPU build; vulkan its
// Vulkan build (npm @node-llama-cpp/linux-x64-vulkan) with every layer on the GPU.
// usage: node bench/llama_model_peer.mjs MODEL.gguf THREADS PROMPT_TOKENS DECODE_TOKENS BATCH BATCH_STEPS [DEVICE]
//
//   prefill   the prompt in one llama_decode batch (batch size >= the prompt)
//   decode    --decode-tokens greedy steps of that sequence
//   batched   BATCH sequences of one context evaluated concurrently, which node-llama-cpp gathers
//             into shared llama_decode batches: from the moment every sequence has its first
//             token until each has BATCH_STEPS more
import { getLlama } from 'node-llama-cpp';

const [modelPath, threadsArg, promptArg, decodeArg, batchArg, stepsArg, deviceArg] =
  process.argv.slice(2);
const device = deviceArg ?? 'cpu';
if (device !== 'cpu' && device !== 'vulkan') throw new Error(`DEVICE ${device}: cpu or vulkan`);
const threads = Number(threadsArg);
const nPrompt = Number(promptArg);
const nDecode = Number(decodeArg);
const nBatch = Number(batchArg);
const nSteps = Number(stepsArg);

const llama = await getLlama({
  gpu: device === 'vulkan' ? 'vulkan' : false, build: 'never', logLevel: 'error',
});
const model = await llama.loadModel({ modelPath, gpuLayers: device === 'vulkan' ? 'max' : 0 });
const nVocab = model.fileInfo.metadata.llama?.vocab_size ?? model.tokens.vocab?.length ?? 32000;
const promptToken = (s, i) => 3 + ((1000003 * s + 7919 * i) % (nVocab - 3));
const seconds = (t0) => (performance.now() - t0) / 1000;

// Runs one sequence until it has produced `count` tokens, calling onToken after each.
async function produce(sequence, tokens, count, onToken) {
  let produced = 0;
  for await (const _ of sequence.evaluate(tokens, { temperature: 0 })) {
    onToken(++produced);
    if (produced >= count) break;
  }
}

let prefill_s;
let decode_s;
{
  const context = await model.createContext({
    contextSize: nPrompt + nDecode + 16, batchSize: Math.max(512, nPrompt), threads,
    flashAttention: false,
  });
  const prompt = Array.from({ length: nPrompt }, (_, i) => promptToken(0, i));
  const t0 = performance.now();
  let t1 = 0;
  await produce(context.getSequence(), prompt, nDecode + 1, (k) => {
    if (k === 1) t1 = performance.now();
  });
  const t2 = performance.now();
  prefill_s = (t1 - t0) / 1000;
  decode_s = (t2 - t1) / 1000;
  await context.dispose();
}

let batched_s;
{
  const context = await model.createContext({
    contextSize: nBatch * (16 + nSteps + 16), sequences: nBatch, batchSize: 512, threads,
    flashAttention: false,
  });
  let started = 0;
  let allStarted = null;
  let startedAt = 0;
  const ready = new Promise((resolve) => { allStarted = resolve; });
  const runs = [];
  for (let s = 0; s < nBatch; ++s) {
    const prompt = Array.from({ length: 16 }, (_, i) => promptToken(s, i));
    runs.push(produce(context.getSequence(), prompt, nSteps + 1, (k) => {
      if (k === 1 && ++started === nBatch) {
        startedAt = performance.now();
        allStarted();
      }
    }));
  }
  await ready;
  await Promise.all(runs);
  batched_s = seconds(startedAt);
  await context.dispose();
}

console.log(JSON.stringify({
  engine: 'llama.cpp',
  device: device === 'vulkan' ? `vulkan (${(await llama.getGpuDeviceNames()).join(', ')})` : 'cpu',
  threads,
  prompt_tokens: nPrompt,
  prefill_tokens_per_second: nPrompt / prefill_s,
  decode_tokens_per_second: nDecode / decode_s,
  batch: nBatch,
  batched_tokens_per_second: (nBatch * nSteps) / batched_s,
}));
await model.dispose();
await llama.dispose();
