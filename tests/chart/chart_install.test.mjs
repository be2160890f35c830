// helm install, upgrade and uninstall of the chart against the fake kube-apiserver (helm is a
// second real client of it, besides kubectl), the objects checked with kubectl; then
// manifests/install.yaml applied with kubectl.
// Run: node tests/chart/chart_install.test.mjs   (exit 77: helm or kubectl missing, see
// scripts/setup.sh)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHART, HELM, KUBECTL, NAMESPACE, RELEASE, SOURCE_DIR, run, runOk, skipWithout,
} from './chart_tools.mjs';

skipWithout(HELM, KUBECTL);

const FAKE_APISERVER_BIN = process.env.MF_FAKE_APISERVER_BIN ??
  path.join(SOURCE_DIR, 'build', 'tests', 'apiserver', 'fake-kube-apiserver');
const CRD = 'inferenceservices.serving.mistral-fleet.dev';

let work;
let server;
let kubeconfig;

// Helm keeps its caches and settings in the test's folder, not the user's.
const helmEnv = () => ({
  HELM_CACHE_HOME: path.join(work, 'helm-cache'),
  HELM_CONFIG_HOME: path.join(work, 'helm-config'),
  HELM_DATA_HOME: path.join(work, 'helm-data'),
});
const helm = (...args) => runOk(HELM, ['--kubeconfig', kubeconfig, ...args], { env: helmEnv() });
const kubectl = (...args) => runOk(KUBECTL, ['--kubeconfig', kubeconfig, ...args]);
const kubectlJson = async (...args) => JSON.parse(await kubectl(...args, '-o', 'json'));
// Whether an object exists: kubectl get answers NotFound otherwise.
async function exists(...args) {
  const r = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'get', ...args, '-o', 'name']);
  if (r.code !== 0 && !/NotFound|not found/.test(r.stderr)) {
    throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  }
  return r.code === 0 && r.stdout.trim() !== '';
}

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'chart-install-'));
  kubeconfig = path.join(work, 'kubeconfig');
  server = spawn(FAKE_APISERVER_BIN, ['--dir', work], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  server.stdout.on('data', (d) => { output += d; });
  const started = new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`fake-kube-apiserver exited ${code}`)));
    const check = () => (output.includes('kubeconfig ') ? resolve() : setTimeout(check, 50));
    check();
  });
  await Promise.race([started, sleep(15_000).then(() => {
    throw new Error(`fake-kube-apiserver did not start: ${output}`);
  })]);
});

after(() => {
  server?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('helm install creates the CRD and the operator; NOTES say what to apply next', async () => {
  const out = await helm('install', RELEASE, CHART, '--namespace', NAMESPACE, '--create-namespace');
  assert.match(out, /STATUS: deployed/);
  assert.match(out, /kubectl -n default apply -f manifests\/samples\/mistral-7b-cpu\.yaml/);
  assert.match(out, /kubectl -n default wait misvc\/mistral-7b-cpu --for=condition=Ready/);
  assert.match(out, /port-forward svc\/mistral-7b-cpu 8000:8000/);
  assert.match(out, /curl http:\/\/127\.0\.0\.1:8000\/v1\/chat\/completions/);
  assert.match(out, /apply -f manifests\/samples\/mistral-7b-autoscaled\.yaml/);
  assert.match(out, /keda-scaledobject\.yaml/);

  const releases = JSON.parse(await helm('list', '--namespace', NAMESPACE, '--output', 'json'));
  assert.deepEqual(releases.map((r) => [r.name, r.status, r.revision]), [[RELEASE, 'deployed', '1']]);

  assert.ok(await exists('customresourcedefinition', CRD));
  const deployment = await kubectlJson('get', '--namespace', NAMESPACE, 'deployment', RELEASE);
  assert.equal(deployment.spec.replicas, 2);
  assert.ok(deployment.spec.template.spec.containers[0].args.includes('--leader-elect'));
  assert.equal(deployment.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
  for (const [kind, name] of [['serviceaccount', RELEASE], ['service', `${RELEASE}-metrics`],
    ['role', `${RELEASE}-leader-election`], ['rolebinding', `${RELEASE}-leader-election`]]) {
    assert.ok(await exists('--namespace', NAMESPACE, kind, name), `${kind} ${name}`);
  }
  const clusterRole = await kubectlJson('get', 'clusterrole', RELEASE);
  assert.ok(clusterRole.rules.some((r) => r.resources.includes('inferenceservices')));
  assert.ok(await exists('clusterrolebinding', RELEASE));
});

test('the CRD the chart installed serves the samples', async () => {
  const sample = path.join(SOURCE_DIR, 'manifests', 'samples', 'mistral-7b-cpu.yaml');
  assert.match(await kubectl('apply', '--namespace', 'default', '-f', sample),
    /inferenceservice.serving.mistral-fleet.dev\/mistral-7b-cpu created/);
  const isvc = await kubectlJson('get', '--namespace', 'default', 'misvc', 'mistral-7b-cpu');
  assert.equal(isvc.spec.model.servedName, 'mistral-7b-instruct');
  await kubectl('delete', '--namespace', 'default', '-f', sample);
});

test('helm upgrade to one watched namespace swaps the ClusterRole for a Role there', async () => {
  await kubectl('create', 'namespace', 'team-a');
  await helm('upgrade', RELEASE, CHART, '--namespace', NAMESPACE, '--set',
    'watchNamespaces={team-a}');
  assert.ok(await exists('--namespace', 'team-a', 'role', RELEASE));
  assert.ok(await exists('--namespace', 'team-a', 'rolebinding', RELEASE));
  assert.ok(!(await exists('clusterrole', RELEASE)), 'ClusterRole removed');
  assert.ok(!(await exists('clusterrolebinding', RELEASE)), 'ClusterRoleBinding removed');
  const deployment = await kubectlJson('get', '--namespace', NAMESPACE, 'deployment', RELEASE);
  assert.ok(deployment.spec.template.spec.containers[0].args.includes('--namespace=team-a'));
  const history = JSON.parse(await helm('history', RELEASE, '--namespace', NAMESPACE,
    '--output', 'json'));
  assert.deepEqual(history.map((h) => h.status), ['superseded', 'deployed']);
});

test('helm uninstall removes the release and its objects, and keeps the CRD', async () => {
  assert.match(await helm('uninstall', RELEASE, '--namespace', NAMESPACE),
    /release "mistral-fleet" uninstalled/);
  for (const [ns, kind, name] of [[NAMESPACE, 'deployment', RELEASE],
    [NAMESPACE, 'serviceaccount', RELEASE], [NAMESPACE, 'service', `${RELEASE}-metrics`],
    [NAMESPACE, 'role', `${RELEASE}-leader-election`], ['team-a', 'role', RELEASE],
    ['team-a', 'rolebinding', RELEASE]]) {
    assert.ok(!(await exists('--namespace', ns, kind, name)), `${kind} ${name} left behind`);
  }
  // Helm's release records (Secrets labelled owner=helm) are gone too.
  const secrets = await kubectlJson('get', '--namespace', NAMESPACE, 'secrets', '-l', 'owner=helm');
  assert.deepEqual(secrets.items, []);
  assert.deepEqual(JSON.parse(await helm('list', '--all-namespaces', '--output', 'json')), []);
  // Helm never deletes what a chart's crds/ installed: InferenceServices would go with it.
  assert.ok(await exists('customresourcedefinition', CRD));
});

test('kubectl apply -f manifests/install.yaml creates the same objects', async () => {
  const file = path.join(SOURCE_DIR, 'manifests', 'install.yaml');
  const out = await kubectl('apply', '-f', file);
  const applied = out.trim().split('\n');
  const documents = readFileSync(file, 'utf8').split(/^---$/m).length;
  assert.equal(applied.length, documents, out);
  assert.match(out, /deployment.apps\/mistral-fleet (created|configured)/);
  assert.match(out, /clusterrole.rbac.authorization.k8s.io\/mistral-fleet created/);
  const deployment = await kubectlJson('get', '--namespace', NAMESPACE, 'deployment', RELEASE);
  assert.equal(deployment.spec.replicas, 2);
  assert.equal(deployment.metadata.namespace, NAMESPACE);
});
