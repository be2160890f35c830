// Entry point for `node --test tests/server/`: Node 22 runs a directory argument as a module (this
// index.js), so it imports every *.test.mjs file here, in name order. Each file keeps its server
// in a describe() block, so files also run alone: `node --test tests/server/api.test.mjs`.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const file of readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort()) {
  await import(pathToFileURL(path.join(here, file)).href);
}
