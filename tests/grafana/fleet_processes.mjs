// The control plane around an engine for the dashboard test: the fake kube-apiserver, the real
// mistral-operator against it, and kubectl. Processes and temp dirs come from
// tests/server/helpers.mjs, which kills and removes them when this process exits.
//
// Environment:
//   MF_OPERATOR_BIN        default <source dir>/build/operator/mistral-operator
//   MF_FAKE_APISERVER_BIN  default <source dir>/build/tests/apiserver/fake-kube-apiserver
//   MF_KUBECTL             default <source dir>/.tools/kubectl/kubectl (scripts/setup.sh)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { startProcess, tempDir } from '../server/helpers.mjs';
import { SOURCE_DIR } from './dashboard_queries.mjs';

export const OPERATOR_BIN = process.env.MF_OPERATOR_BIN ||
  path.join(SOURCE_DIR, 'build', 'operator', 'mistral-operator');
export const FAKE_APISERVER_BIN = process.env.MF_FAKE_APISERVER_BIN ||
  path.join(SOURCE_DIR, 'build', 'tests', 'apiserver', 'fake-kube-apiserver');
export const KUBECTL = process.env.MF_KUBECTL ||
  path.join(SOURCE_DIR, '.tools', 'kubectl', 'kubectl');

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
