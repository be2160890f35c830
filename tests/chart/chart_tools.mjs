// What the chart tests share: where the chart and the tools are, running helm and kubectl with a
// bound on their time, and reading rendered manifests.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const SOURCE_DIR = process.env.MF_SOURCE_DIR ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = path.join(SOURCE_DIR, 'charts', 'mistral-fleet');
export const HELM = process.env.MF_HELM ?? path.join(SOURCE_DIR, '.tools', 'helm', 'helm');
export const KUBECTL = process.env.MF_KUBECTL ??
  path.join(SOURCE_DIR, '.tools', 'kubectl', 'kubectl');
export const OPERATOR_BIN = process.env.MF_OPERATOR_BIN ??
  path.join(SOURCE_DIR, 'build', 'operator', 'mistral-operator');
export const RELEASE = 'mistral-fleet';
export const NAMESPACE = 'mistral-fleet';

// Exits 77 (ctest's SKIP_RETURN_CODE) when a tool scripts/setup.sh installs is missing.
export function skipWithout(...tools) {
  for (const tool of tools) {
    if (!existsSync(tool)) {
      console.log(`SKIP: ${tool} not found (scripts/setup.sh installs it)`);
      process.exit(77);
    }
  }
}

const execFileAsync = promisify(execFile);

// Runs a program; resolves to {code, stdout, stderr} whatever its exit status.
export async function run(program, args, { env = {}, timeoutMs = 60_000, input } = {}) {
  const child = execFileAsync(program, args, {
    env: { ...process.env, ...env },
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  // A program that exits without reading its input fails by its exit status, not by EPIPE here.
  child.child.stdin.on('error', () => {});
  child.child.stdin.end(input ?? '');
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== 'number') {
      throw new Error(`${program} ${args.join(' ')}: ${e.message}`);
    }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// Like run, but a failure throws with the program's output.
export async function runOk(program, args, options) {
  const r = await run(program, args, options);
  if (r.code !== 0) {
    throw new Error(`${path.basename(program)} ${args.join(' ')} exited ${r.code}:\n` +
      `${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

// Every document of a multi-document YAML text; a syntax error in any of them throws.
export function parseDocuments(text) {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value !== null) objects.push(value);
  }
  return objects;
}

// `helm template` of the chart (or another copy of it) with a values object; resolves to
// {code, stderr, objects}: the parsed documents when it rendered.
export async function template(values = {}, { chart = CHART, extraArgs = [] } = {}) {
  // The values go in as a file on standard input: JSON is YAML.
  const args = ['template', RELEASE, chart, '--namespace', NAMESPACE, '--values', '-',
    ...extraArgs];
  const r = await run(HELM, args, { input: JSON.stringify(values) });
  return { ...r, objects: r.code === 0 ? parseDocuments(r.stdout) : [] };
}

export function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function all(objects, kind) {
  return objects.filter((o) => o.kind === kind);
}

// "group/resource verb" for every verb of every PolicyRule: the unit a grant is made of.
export function grants(rules) {
  const out = new Set();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) out.add(`${group}/${resource} ${verb}`);
      }
    }
  }
  return out;
}

// What the operator says it needs: `mistral-operator --print-rbac-rules`.
export async function operatorRules() {
  const stdout = await runOk(OPERATOR_BIN, ['--print-rbac-rules']);
  const rules = JSON.parse(stdout);
  if (!Array.isArray(rules)) throw new Error(`--print-rbac-rules printed no array: ${stdout}`);
  return rules;
}

export const isLeaseRule = (rule) =>
  (rule.apiGroups ?? []).includes('coordination.k8s.io') &&
  (rule.resources ?? []).includes('leases');
