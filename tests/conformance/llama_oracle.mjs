// llama.cpp as the oracle, through node-llama-cpp's prebuilt CPU build.
// Reads a JSON request on stdin, writes the JSON answer on stdout:
//   {"model": F, "tokenize": [text...]}            -> {"tokens": [[id...]...]}  (BOS included)
//   {"model": F, "greedy": [[id...]...], "n": 16}  -> {"tokens": [[id...]...]}  (n greedy ids each)
import { getLlama } from 'node-llama-cpp';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const model = await llama.loadModel({ modelPath: req.model, useMmap: true });
const out = {};

if (req.tokenize) {
  out.tokens = req.tokenize.map((text) => {
    const ids = Array.from(model.tokenize(text, false));
    return model.tokens.bos != null && model.tokens.shouldPrependBosToken
      ? [model.tokens.bos, ...ids] : ids;
  });
}

if (req.greedy) {
  const context = await model.createContext({
    contextSize: 512, batchSize: 512, threads: req.threads ?? 2, flashAttention: false,
  });
  out.tokens = [];
  for (const prompt of req.greedy) {
    const sequence = context.getSequence();
    const got = [];
    for await (const tok of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
      got.push(tok);
      if (got.length >= req.n) break;
    }
    out.tokens.push(got);
    sequence.dispose();
  }
  await context.dispose();
}

await model.dispose();
await llama.dispose();
process.stdout.write(JSON.stringify(out));
