// The Helm chart rendered offline: helm lint, helm template with the default values and with every
// toggle on, what each object must hold (probes, security, RBAC equal to what the operator says it
// needs), values the schema or the templates refuse, the CRD copy, and manifests/install.yaml
// against a fresh render.
// Run: node tests/chart/chart_render.test.mjs   (exit 77: helm missing, see scripts/setup.sh)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CHART, HELM, NAMESPACE, OPERATOR_BIN, SOURCE_DIR, all, find, grants, isLeaseRule,
  operatorRules, parseDocuments, runOk, skipWithout, template,
} from './chart_tools.mjs';

skipWithout(HELM);

const chartYaml = parseDocuments(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'))[0];
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'Namespace']);

// Every toggle on, and every pod setting given.
const ALL_ON = {
  replicaCount: 1,
  leaderElection: { enabled: false },
  watchNamespaces: ['team-a'],
  logLevel: 'debug',
  logFormat: 'text',
  workers: 8,
  engine: {
    cpuImage: { repository: 'registry.example/engine', tag: 'v9' },
    imagePullPolicy: 'Always',
    drainTimeoutSeconds: 45,
  },
  imagePullSecrets: [{ name: 'regcred' }],
  serviceAccount: { annotations: { 'example.com/role': 'operator' } },
  podAnnotations: { 'example.com/team': 'ml' },
  podLabels: { team: 'ml' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' }],
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: {} },
      }],
    },
  },
  priorityClassName: 'system-cluster-critical',
  metrics: { service: { annotations: { 'example.com/scrape': 'yes' } } },
  serviceMonitor: { enabled: true, interval: '20s', scrapeTimeout: '5s',
    labels: { release: 'kube-prometheus-stack' } },
  podMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  grafanaDashboards: { enabled: true, namespace: 'monitoring',
    annotations: { grafana_folder: 'mistral-fleet' } },
};

function operatorContainer(objects) {
  const deployment = find(objects, 'Deployment');
  assert.ok(deployment, 'a Deployment');
  return deployment.spec.template.spec.containers.find((c) => c.name === 'operator');
}

function flagValue(args, flag) {
  const arg = args.find((a) => a.startsWith(`${flag}=`));
  return arg === undefined ? undefined : arg.slice(flag.length + 1);
}

// The flags `mistral-operator --help` lists.
async function operatorFlags() {
  const help = await runOk(OPERATOR_BIN, ['--help']);
  return new Set([...help.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]));
}

function checkWellFormed(objects) {
  assert.ok(objects.length > 0, 'something rendered');
  for (const o of objects) {
    const what = JSON.stringify(o).slice(0, 200);
    assert.equal(typeof o.apiVersion, 'string', `apiVersion of ${what}`);
    assert.equal(typeof o.kind, 'string', `kind of ${what}`);
    assert.ok(o.metadata?.name, `metadata.name of ${what}`);
    assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `name of ${what}`);
    assert.ok(o.metadata.name.length <= 63 || o.kind === 'CustomResourceDefinition', what);
    if (!CLUSTER_SCOPED.has(o.kind)) assert.ok(o.metadata.namespace, `namespace of ${what}`);
  }
}

function containerPort(container, port) {
  const found = typeof port === 'number' ? container.ports.find((p) => p.containerPort === port)
    : container.ports.find((p) => p.name === port);
  assert.ok(found, `container port ${port}`);
  return found.containerPort;
}

function matches(selector, labels) {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

test('helm lint passes with the default values and with every toggle on', async () => {
  await runOk(HELM, ['lint', '--strict', CHART]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chart-lint-'));
  try {
    const values = path.join(dir, 'all-on.json');
    writeFileSync(values, JSON.stringify(ALL_ON));
    await runOk(HELM, ['lint', '--strict', CHART, '--values', values]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('default values: the operator, its ServiceAccount, RBAC and metrics Service', async () => {
  const r = await template();
  assert.equal(r.code, 0, r.stderr);
  checkWellFormed(r.objects);
  assert.deepEqual(r.objects.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding',
    'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  for (const o of r.objects) assert.ok(CLUSTER_SCOPED.has(o.kind) || o.metadata.namespace === NAMESPACE);

  const deployment = find(r.objects, 'Deployment');
  assert.equal(deployment.spec.replicas, 2);
  const pod = deployment.spec.template;
  assert.ok(matches(deployment.spec.selector.matchLabels, pod.metadata.labels));
  assert.equal(pod.spec.serviceAccountName, find(r.objects, 'ServiceAccount').metadata.name);
  assert.equal(pod.spec.securityContext.runAsNonRoot, true);
  assert.equal(pod.spec.securityContext.runAsUser, 65532);
  assert.equal(pod.spec.securityContext.seccompProfile.type, 'RuntimeDefault');

  const c = operatorContainer(r.objects);
  assert.equal(c.image, `ghcr.io/mistral-fleet/operator:${chartYaml.appVersion}`);
  assert.equal(c.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.runAsUser, 65532);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);

  // Probes on the port the operator serves them on.
  const probePort = Number(flagValue(c.args, '--health-probe-bind-address').split(':').pop());
  assert.equal(probePort, 8081);
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(containerPort(c, c.livenessProbe.httpGet.port), probePort);
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(containerPort(c, c.readinessProbe.httpGet.port), probePort);

  // Two replicas share a Lease in the release namespace.
  assert.ok(c.args.includes('--leader-elect'));
  assert.equal(flagValue(c.args, '--leader-election-namespace'), NAMESPACE);
  assert.equal(flagValue(c.args, '--namespace'), undefined, 'all namespaces');
  assert.equal(flagValue(c.args, '--engine-image'),
    `ghcr.io/mistral-fleet/engine:${chartYaml.appVersion}`);
  assert.equal(flagValue(c.args, '--engine-image-vulkan'),
    `ghcr.io/mistral-fleet/engine-vulkan:${chartYaml.appVersion}`);
  assert.equal(flagValue(c.args, '--log-format'), 'json');

  // The metrics Service reaches the operator pods' metrics port.
  const service = find(r.objects, 'Service');
  assert.ok(matches(service.spec.selector, pod.metadata.labels));
  const metricsPort = Number(flagValue(c.args, '--metrics-bind-address').split(':').pop());
  assert.equal(containerPort(c, service.spec.ports[0].targetPort), metricsPort);
});

test('every flag the chart passes is one mistral-operator takes', async () => {
  const known = await operatorFlags();
  for (const values of [{}, ALL_ON]) {
    const r = await template(values);
    assert.equal(r.code, 0, r.stderr);
    for (const arg of operatorContainer(r.objects).args) {
      assert.ok(known.has(arg.split('=')[0]), `${arg} is not in mistral-operator --help`);
    }
  }
});

test('RBAC grants exactly what mistral-operator --print-rbac-rules asks for', async () => {
  const rules = await operatorRules();
  const watched = grants(rules.filter((r) => !isLeaseRule(r)));
  const lease = grants(rules.filter(isLeaseRule));
  assert.ok(watched.size > 0 && lease.size > 0, JSON.stringify(rules));

  const checkBinding = (objects, binding, role, sa) => {
    assert.equal(binding.roleRef.kind, role.kind);
    assert.equal(binding.roleRef.name, role.metadata.name);
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa, namespace: NAMESPACE }]);
  };

  // All namespaces: a ClusterRole, and the Lease in a Role of the release namespace.
  const r = await template();
  const sa = find(r.objects, 'ServiceAccount').metadata.name;
  const clusterRole = find(r.objects, 'ClusterRole');
  assert.deepEqual(grants(clusterRole.rules), watched);
  checkBinding(r.objects, find(r.objects, 'ClusterRoleBinding'), clusterRole, sa);
  const leaseRole = find(r.objects, 'Role');
  assert.equal(leaseRole.metadata.namespace, NAMESPACE);
  assert.deepEqual(grants(leaseRole.rules), lease);
  checkBinding(r.objects, find(r.objects, 'RoleBinding'), leaseRole, sa);
  // Reading and renewing are limited to the operator's own Lease.
  const leaseId = flagValue(operatorContainer(r.objects).args, '--leader-election-id');
  for (const rule of leaseRole.rules) {
    if (rule.verbs.some((v) => v !== 'create')) assert.deepEqual(rule.resourceNames, [leaseId]);
  }

  // One namespace: a Role there and nothing cluster-wide; no Lease without leader election.
  const one = await template({ watchNamespaces: ['team-a'], leaderElection: { enabled: false },
    replicaCount: 1 });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(all(one.objects, 'ClusterRole').length, 0);
  assert.equal(all(one.objects, 'ClusterRoleBinding').length, 0);
  const roles = all(one.objects, 'Role');
  assert.equal(roles.length, 1);
  assert.equal(roles[0].metadata.namespace, 'team-a');
  assert.deepEqual(grants(roles[0].rules), watched);
  checkBinding(one.objects, find(one.objects, 'RoleBinding'), roles[0], sa);
  assert.equal(find(one.objects, 'RoleBinding').metadata.namespace, 'team-a');

  // One namespace with leader election: the Lease Role stays in the release namespace.
  const elected = await template({ watchNamespaces: ['team-a'] });
  assert.deepEqual(all(elected.objects, 'Role').map((o) => o.metadata.namespace).sort(),
    [NAMESPACE, 'team-a']);
});

test('every toggle on: one namespace, monitors, dashboards and pod settings', async () => {
  const r = await template(ALL_ON);
  assert.equal(r.code, 0, r.stderr);
  checkWellFormed(r.objects);

  const deployment = find(r.objects, 'Deployment');
  assert.equal(deployment.spec.replicas, 1);
  const pod = deployment.spec.template;
  assert.equal(pod.metadata.labels.team, 'ml');
  assert.equal(pod.metadata.annotations['example.com/team'], 'ml');
  assert.deepEqual(pod.spec.imagePullSecrets, ALL_ON.imagePullSecrets);
  assert.deepEqual(pod.spec.nodeSelector, ALL_ON.nodeSelector);
  assert.deepEqual(pod.spec.tolerations, ALL_ON.tolerations);
  assert.deepEqual(pod.spec.affinity, ALL_ON.affinity);
  assert.equal(pod.spec.priorityClassName, ALL_ON.priorityClassName);
  assert.deepEqual(find(r.objects, 'ServiceAccount').metadata.annotations,
    ALL_ON.serviceAccount.annotations);

  const args = operatorContainer(r.objects).args;
  assert.equal(flagValue(args, '--namespace'), 'team-a');
  assert.ok(!args.some((a) => a.startsWith('--leader-elect')), args.join(' '));
  assert.equal(flagValue(args, '--engine-image'), 'registry.example/engine:v9');
  assert.equal(flagValue(args, '--image-pull-policy'), 'Always');
  assert.equal(flagValue(args, '--drain-timeout'), '45');
  assert.equal(flagValue(args, '--workers'), '8');
  assert.equal(flagValue(args, '--log-level'), 'debug');
  assert.equal(flagValue(args, '--log-format'), 'text');

  // The operator's ServiceMonitor scrapes the metrics Service by its port name.
  const service = find(r.objects, 'Service');
  assert.deepEqual(service.metadata.annotations, ALL_ON.metrics.service.annotations);
  const sm = find(r.objects, 'ServiceMonitor');
  assert.equal(sm.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
  assert.ok(matches(sm.spec.selector.matchLabels, service.metadata.labels));
  assert.deepEqual(sm.spec.namespaceSelector.matchNames, [NAMESPACE]);
  assert.equal(sm.spec.endpoints.length, 1);
  assert.equal(sm.spec.endpoints[0].port, service.spec.ports[0].name);
  assert.equal(sm.spec.endpoints[0].path, '/metrics');
  assert.equal(sm.spec.endpoints[0].interval, '20s');
  assert.equal(sm.spec.endpoints[0].scrapeTimeout, '5s');

  // The engines' PodMonitor: the pods the operator labels, their `http` port, in the watched
  // namespace, with the InferenceService's name as a label for the dashboards.
  const pm = find(r.objects, 'PodMonitor');
  assert.equal(pm.apiVersion, 'monitoring.coreos.com/v1');
  assert.deepEqual(pm.spec.selector.matchLabels,
    { 'app.kubernetes.io/managed-by': 'mistral-operator' });
  assert.deepEqual(pm.spec.namespaceSelector, { matchNames: ['team-a'] });
  const endpoint = pm.spec.podMetricsEndpoints[0];
  assert.equal(endpoint.port, 'http');
  assert.equal(endpoint.path, '/metrics');
  assert.deepEqual(endpoint.relabelings, [{
    sourceLabels: ['__meta_kubernetes_pod_label_serving_mistral_fleet_dev_inferenceservice'],
    targetLabel: 'inferenceservice',
  }]);

  // A dashboard ConfigMap for each file in the chart's dashboards/.
  const files = readdirSync(path.join(CHART, 'dashboards')).filter((f) => f.endsWith('.json'));
  const maps = all(r.objects, 'ConfigMap');
  assert.equal(maps.length, files.length);
  for (const file of files) {
    const map = maps.find((m) => Object.keys(m.data).includes(file));
    assert.ok(map, `a ConfigMap holds ${file}`);
    assert.equal(map.metadata.namespace, 'monitoring');
    assert.equal(map.metadata.labels.grafana_dashboard, '1');
    assert.equal(map.metadata.annotations.grafana_folder, 'mistral-fleet');
    assert.deepEqual(JSON.parse(map.data[file]),
      JSON.parse(readFileSync(path.join(CHART, 'dashboards', file), 'utf8')));
  }
});

test('the dashboards ConfigMaps follow whatever files the chart holds', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chart-copy-'));
  try {
    const chart = path.join(dir, 'mistral-fleet');
    cpSync(CHART, chart, { recursive: true });
    const board = { title: 'Extra "quoted" board', panels: [{ type: 'text', content: 'a\nb' }] };
    writeFileSync(path.join(chart, 'dashboards', 'Extra_Board.json'), JSON.stringify(board));
    const r = await template({ grafanaDashboards: { enabled: true } }, { chart });
    assert.equal(r.code, 0, r.stderr);
    const map = find(r.objects, 'ConfigMap', 'mistral-fleet-dashboard-extra-board');
    assert.ok(map, all(r.objects, 'ConfigMap').map((m) => m.metadata.name).join(', '));
    assert.equal(map.metadata.namespace, NAMESPACE);
    assert.deepEqual(JSON.parse(map.data['Extra_Board.json']), board);

    rmSync(path.join(chart, 'dashboards'), { recursive: true });
    const none = await template({ grafanaDashboards: { enabled: true } }, { chart });
    assert.equal(none.code, 0, none.stderr);
    assert.equal(all(none.objects, 'ConfigMap').length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the PodMonitor selects engine pods in every namespace when the operator watches all', async () => {
  const r = await template({ podMonitor: { enabled: true } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(find(r.objects, 'PodMonitor').spec.namespaceSelector, { any: true });
  assert.equal(find(r.objects, 'ServiceMonitor'), undefined);
});

test('values the schema or the templates refuse', async () => {
  const refused = [
    [{ watchNamespaces: ['a', 'b'] }, /watchNamespaces/],
    [{ watchNamespaces: ['Not_A_Namespace'] }, /watchNamespaces/],
    [{ unknownKey: true }, /unknownKey/],
    [{ logFormat: 'xml' }, /logFormat/],
    [{ image: { repository: 'x', pullPolicy: 'Sometimes' } }, /pullPolicy/],
    [{ image: { repository: '', pullPolicy: 'IfNotPresent' } }, /repository/],
    [{ replicaCount: '2' }, /replicaCount/],
    [{ metrics: { port: 8081 } }, /metrics/],
    [{ leaderElection: { enabled: false } }, /replicaCount above 1 needs leaderElection/],
    [{ leaderElection: { renewDeadlineSeconds: 20 } },
      /retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds/],
    [{ serviceMonitor: { enabled: true }, metrics: { service: { enabled: false } } },
      /serviceMonitor.enabled needs metrics.service.enabled/],
    [{ serviceAccount: { create: false } }, /serviceAccount.name is required/],
  ];
  for (const [values, message] of refused) {
    const r = await template(values);
    assert.notEqual(r.code, 0, `accepted ${JSON.stringify(values)}`);
    assert.match(r.stderr, message, JSON.stringify(values));
  }
  // The template holds the one-namespace limit even without the schema.
  const r = await template({ watchNamespaces: ['a', 'b'] },
    { extraArgs: ['--skip-schema-validation'] });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /watches one namespace or all of them/);
});

test('charts/mistral-fleet/crds/ is a copy of crds/', () => {
  const source = path.join(SOURCE_DIR, 'crds');
  const copy = path.join(CHART, 'crds');
  const names = readdirSync(source).sort();
  assert.deepEqual(readdirSync(copy).sort(), names);
  for (const name of names) {
    assert.ok(readFileSync(path.join(copy, name)).equals(readFileSync(path.join(source, name))),
      `${name} differs: run scripts/render_manifests.sh`);
  }
});

test('manifests/install.yaml is the chart rendered by scripts/render_manifests.sh', async () => {
  const fresh = await runOk('bash', [path.join(SOURCE_DIR, 'scripts', 'render_manifests.sh'), '-'],
    { env: { HELM } });
  const file = readFileSync(path.join(SOURCE_DIR, 'manifests', 'install.yaml'), 'utf8');
  assert.ok(file === fresh, 'manifests/install.yaml is out of date: run scripts/render_manifests.sh');

  const objects = parseDocuments(file);
  checkWellFormed(objects);
  assert.equal(objects[0].kind, 'CustomResourceDefinition');
  assert.deepEqual(objects[1], { apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'mistral-fleet' } } });
  for (const o of objects.slice(2)) {
    assert.ok(CLUSTER_SCOPED.has(o.kind) || o.metadata.namespace === NAMESPACE, o.metadata.name);
  }
  const rendered = await template();
  assert.deepEqual(objects.slice(2), rendered.objects);
});
