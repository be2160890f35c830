// The control plane around an engine for the dashboard test: the fake kube-apiserver, the real
// mistral-operator against it, and kubectl. Every process started here is killed when this
// process exits (tests/server/helpers.mjs turns SIGINT/SIGTERM into an exit), and temp dirs go.
//
// Environment:
//   MF_OPERATOR_BIN        default <source dir>/build/operator/mistral-operator
//   MF_FAKE_APISERVER_BIN  default <source dir>/build/tests/apiserver/fake-kube-apiserver
//   MF_KUBECTL             default <source dir>/.tools/kubectl/kubectl (scripts/setup.sh)
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SOURCE_DIR } from './dashboard_queries.mjs';

export const OPERATOR_BIN = process.env.MF_OPERATOR_BIN ||
  path.join(SOURCE_DIR, 'build', 'operator', 'mistral-operator');
export const FAKE_APISERVER_BIN = process.env.MF_FAKE_APISERVER_BIN ||
  path.join(SOURCE_DIR, 'build', 'tests', 'apiserver', 'fake-kube-apiserver');
export const KUBECTL = process.env.MF_KUBECTL ||
  path.join(SOURCE_DIR, '.tools', 'kubectl', 'kubectl');

const live = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// Spawns `bin args` and waits (bounded) until its output matches `ready`; returns the process,
// the match and its log. Exiting first, or not matching in time, throws with the log.
async function startProcess(bin, args, ready, timeoutMs) {
  const proc = spawn(bin, args, { cwd: SOURCE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let log = '';
  const keep = (chunk) => {
    log += chunk.toString('utf8');
    if (log.length > 1 << 20) log = log.slice(-(1 << 19));  // bounded
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise((resolve) => proc.on('exit', () => {
    live.delete(proc);
    resolve();
  }));
  const handle = {
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  let match;
  while (!(match = ready.exec(log))) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${path.basename(bin)} did not start (want ${ready}):\n${log}`);
    }
    await sleep(20);
  }
  handle.match = match;
  return handle;
}

// The fake API server in a fresh dir; `kubeconfig` is the path of its kubeconfig.
export async function startFakeApiserver() {
  const dir = tempDir('mf-grafana-apiserver-');
  const server =
    await startProcess(FAKE_APISERVER_BIN, ['--dir', dir], /kubeconfig (\S+)\n/, 15_000);
  server.kubeconfig = server.match[1];
  return server;
}

// mistral-operator on ephemeral loopback ports; `metricsUrl` is its /metrics.
export async function startOperator(kubeconfig) {
  const op = await startProcess(OPERATOR_BIN, [
    '--kubeconfig', kubeconfig, '--engine-image', 'engine:test', '--engine-image-vulkan',
    'engine-vulkan:test', '--metrics-bind-address', '127.0.0.1:0',
    '--health-probe-bind-address', '127.0.0.1:0',
  ], /metrics on 127\.0\.0\.1:(\d+)/, 15_000);
  op.metricsUrl = `http://127.0.0.1:${op.match[1]}/metrics`;
  return op;
}

// Runs kubectl against `kubeconfig` (30 s at most); resolves to its stdout, throws with stderr.
export function kubectl(kubeconfig, args, input) {
  return new Promise((resolve, reject) => {
    const child = execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args],
      { cwd: SOURCE_DIR, timeout: 30_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(' ')}: ${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    child.stdin.end(input ?? '');
  });
}
