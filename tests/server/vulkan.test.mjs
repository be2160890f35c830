// The server on a Vulkan device (lavapipe in CI): continuous batching works as on the CPU, so
// concurrent greedy requests give what they give alone; skipped where no Vulkan device exists.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  ENGINE_BIN, makeModel, startServer, client, metrics, metricValue, PROMPTS,
} from './helpers.mjs';

const devices = JSON.parse(execFileSync(ENGINE_BIN, ['devices', '--json'], { timeout: 30_000 }));
const device = devices.vulkan.find((d) => d.compute_queue);

describe('vulkan', { skip: device ? false : 'no Vulkan device with a compute queue' }, () => {
  const NAME = 'tiny-vulkan';
  let model, server, openai;

  before(async () => {
    model = makeModel();
    server = await startServer(model.file, ['--device', `vulkan:${device?.index}`], { name: NAME });
    openai = client(server);
  });

  after(async () => {
    await server?.stop();
    model?.cleanup();
  });

  test('the log names the device, and concurrent greedy requests equal each alone', async () => {
    assert.match(server.log(), /on vulkan:\d+ \(/);
    const call = (i) => (i % 2 === 0
      ? openai.completions.create({ model: NAME, prompt: PROMPTS[i], max_tokens: 8, temperature: 0 })
        .then((r) => r.choices[0].text)
      : openai.chat.completions.create({
        model: NAME, messages: [{ role: 'user', content: PROMPTS[i] }], max_tokens: 8, temperature: 0,
      }).then((r) => r.choices[0].message.content));
    const ids = Array.from({ length: 6 }, (_, i) => i);
    const alone = [];
    for (const i of ids) alone.push(await call(i));
    assert.ok(new Set(alone).size > 3, 'different prompts give different texts');
    const steps = async () => metricValue(await metrics(server), 'mistral_engine_step_seconds_count');
    const before = await steps();
    const together = await Promise.all(ids.map(call));
    assert.deepEqual(together, alone);
    assert.ok((await steps()) - before < 6 * 8, 'the requests shared forward passes');
  });
});
