#!/usr/bin/env node
// Reference tokenizer for the conformance tests: mistral-tokenizer-js (the Mistral 7B v0.1/v0.2
// vocabulary and merges) driven from the command line.
//
//   node tokenize_oracle.mjs vocab            -> {"tokens": [...], "scores": [...], "types": [...]}
//   node tokenize_oracle.mjs encode FILE      -> [[ids...], ...]  one list per corpus string
//   node tokenize_oracle.mjs encode-stdin     -> same, strings read as a JSON array from stdin
//
// FILE is a JSON array of strings, or of {"text": ...} objects, or {"cases": [...]} holding
// either. Ids are encoded without BOS and with the dummy-prefix space, i.e. what
// Tokenizer::encode(text, /*add_bos=*/false) must return.
//
// Scores follow the project's GGUF convention: a token's score is minus the smallest rank of any
// merge that produces it, and tokens no merge produces score below all others. Types are the
// GGUF token types: <unk>=2 (Unknown), <s>,</s>=3 (Control), <0xXX>=6 (Byte), the rest 1.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// ES modules ignore NODE_PATH, so try a normal import first (resolves through the repository's
// node_modules) and then each NODE_PATH entry by hand.
async function loadTokenizer() {
  try {
    return (await import('mistral-tokenizer-js')).default;
  } catch (err) {
    for (const dir of (process.env.NODE_PATH || '').split(path.delimiter)) {
      if (!dir) continue;
      const pkgDir = path.join(dir, 'mistral-tokenizer-js');
      const pkgJson = path.join(pkgDir, 'package.json');
      if (!fs.existsSync(pkgJson)) continue;
      const main = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).main || 'index.js';
      return (await import(pathToFileURL(path.join(pkgDir, main)).href)).default;
    }
    throw err;
  }
}

const UNPRODUCED_SCORE = -1e9;

function dumpVocab(t) {
  const n = t.vocabById.length;
  const scores = new Array(n).fill(UNPRODUCED_SCORE);
  let rank = 0;
  // Map iteration follows merge priority order; the first merge producing a token is its best.
  for (const key of t.merges.keys()) {
    const sp = key.indexOf(' ');
    const id = t.vocabByString.get(key.slice(0, sp) + key.slice(sp + 1));
    if (id !== undefined && scores[id] === UNPRODUCED_SCORE) scores[id] = -rank;
    rank++;
  }
  const types = t.vocabById.map((piece, id) => {
    if (piece === '<unk>') return 2;
    if (piece === '<s>' || piece === '</s>') return 3;
    if (/^<0x[0-9A-F]{2}>$/.test(piece) && id < 259) return 6;
    return 1;
  });
  return { tokens: t.vocabById, scores, types };
}

function readCases(json) {
  const list = Array.isArray(json) ? json : json.cases;
  if (!Array.isArray(list)) throw new Error('corpus must be an array or {"cases": [...]}');
  return list.map((c) => (typeof c === 'string' ? c : c.text));
}

function encodeAll(t, texts) {
  // mistral-tokenizer-js returns [] for "" even with add_bos; without BOS that matches llama.cpp.
  return texts.map((s) => t.encode(s, false, true));
}

async function main() {
  const [cmd, arg] = process.argv.slice(2);
  const t = await loadTokenizer();
  let out;
  if (cmd === 'vocab') {
    out = dumpVocab(t);
  } else if (cmd === 'encode' && arg) {
    out = encodeAll(t, readCases(JSON.parse(fs.readFileSync(arg, 'utf8'))));
  } else if (cmd === 'encode-stdin') {
    out = encodeAll(t, readCases(JSON.parse(fs.readFileSync(0, 'utf8'))));
  } else {
    process.stderr.write('usage: tokenize_oracle.mjs vocab | encode FILE | encode-stdin\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`tokenize_oracle: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
