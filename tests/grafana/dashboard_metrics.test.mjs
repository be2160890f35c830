// Every metric the dashboards query is one that mistral-engine or mistral-operator really exports
// (or one of the few documented kube-state-metrics series), with the labels the queries filter on.
// A real engine serves a tiny model on 127.0.0.1; the real operator runs against the fake API
// server with the autoscaled sample InferenceService, whose one Ready pod (played by this test,
// as the kubelet and the EndpointSlice controller would) is that engine. Load on the engine fills
// its queue, so the operator scales up and the engine answers some requests with 429: the
// per-InferenceService autoscaling series and the rejection series then have samples.
// Run: node tests/grafana/dashboard_metrics.test.mjs   (exit 77: kubectl missing, see setup.sh)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  makeModel, metrics, parseMetrics, pollUntil, startServer,
} from '../server/helpers.mjs';
import { SOURCE_DIR, dashboardQueries, loadDashboards } from './dashboard_queries.mjs';
import { KUBECTL, kubectl, startFakeApiserver, startOperator } from './fleet_processes.mjs';
import { metricFamily } from './promql_selectors.mjs';
import { ENGINE_TARGET_LABELS, KUBE_STATE_METRICS } from './series_from_elsewhere.mjs';

if (!existsSync(KUBECTL)) {
  console.log(`SKIP: kubectl not found at ${KUBECTL} (scripts/setup.sh installs it)`);
  process.exit(77);
}

const NS = 'default';
const SAMPLE = path.join(SOURCE_DIR, 'manifests', 'samples', 'mistral-7b-autoscaled.yaml');

// Families (name -> TYPE) and, per family, the label names its samples carry.
function families(parsed) {
  const labels = new Map([...parsed.type.keys()].map((name) => [name, new Set()]));
  for (const sample of parsed.samples) {
    const family = metricFamily(sample.name, parsed.type);
    for (const label of Object.keys(sample.labels)) labels.get(family)?.add(label);
  }
  return { types: parsed.type, labels };
}

async function operatorMetrics(op) {
  const r = await fetch(op.metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`operator /metrics: ${r.status}`);
  return parseMetrics(await r.text());
}

function hasSample(parsed, name, where) {
  return parsed.samples.some((s) => s.name === name &&
    Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

// Plays the kubelet and the EndpointSlice controller for one replica: pod NAME-0 from the
// Deployment's template, Running and Ready at 127.0.0.1, behind the Service on `port`.
async function addReadyReplica(kubeconfig, name, port) {
  const deployment = JSON.parse(await kubectl(kubeconfig, ['get', '-n', NS, 'deployment', name,
    '-o', 'json']));
  const template = deployment.spec.template.metadata;
  const pod = `${name}-0`;
  await kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: pod, namespace: NS, labels: template.labels, annotations: template.annotations,
    },
    spec: { containers: [{ name: 'engine', image: 'engine:test' }] },
  }));
  const since = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await kubectl(kubeconfig, ['patch', '-n', NS, 'pod', pod, '--subresource=status', '--type=merge',
    '-p', JSON.stringify({
      status: {
        phase: 'Running', podIP: '127.0.0.1',
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(
          (type) => ({ type, status: 'True', lastTransitionTime: since })),
        containerStatuses: [{
          name: 'engine', image: 'engine:test', imageID: '', ready: true, restartCount: 0,
          started: true, state: { running: { startedAt: since } },
        }],
      },
    })]);
  await kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      name: pod, namespace: NS,
      labels: {
        'kubernetes.io/service-name': name, 'app.kubernetes.io/managed-by': 'mistral-operator',
      },
    },
    addressType: 'IPv4',
    endpoints: [{
      addresses: ['127.0.0.1'], conditions: { ready: true },
      targetRef: { kind: 'Pod', name: pod, namespace: NS },
    }],
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  }));
}

// Keeps `workers` long completions in flight until stopped; a refused one (429) is retried
// after a short pause.
function startLoad(engine, model, workers) {
  const controller = new AbortController();
  const statuses = new Map();
  const loop = async () => {
    while (!controller.signal.aborted) {
      try {
        const r = await fetch(`${engine.url}/v1/completions`, {
          method: 'POST', signal: controller.signal,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model, prompt: 'Tell a long story about the sea', max_tokens: 256, ignore_eos: true,
          }),
        });
        await r.text();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 429) await sleep(50);
      } catch (e) {
        if (!controller.signal.aborted) throw e;
      }
    }
  };
  const running = Promise.all(Array.from({ length: workers }, loop));
  return {
    statuses,
    async stop() {
      controller.abort();
      await running;
    },
  };
}

describe('dashboard metrics are exported', () => {
  const MODEL = 'tiny-grafana';
  let model, engine, api, op, isvc;
  let engineFamilies, operatorFamilies, operatorParsed, engineParsed;
  const queries = loadDashboards().flatMap(({ file, json }) => dashboardQueries(json, file));

  before(async () => {
    model = makeModel();
    // One seat and two waiting places: four concurrent requests keep two waiting, one refused.
    engine = await startServer(model.file, ['--max-num-seqs', '1', '--max-waiting', '2'],
      { name: MODEL });
    api = await startFakeApiserver();
    await kubectl(api.kubeconfig, ['apply', '--server-side', '-f', path.join(SOURCE_DIR, 'crds')]);
    op = await startOperator(api.kubeconfig);

    const applied = await kubectl(api.kubeconfig, ['apply', '--server-side', '-n', NS, '-f', SAMPLE,
      '-o', 'json']);
    isvc = JSON.parse(applied).metadata.name;
    assert.equal(JSON.parse(applied).spec.scaling.mode, 'queueDepth');
    // Faster than the sample: poll every second, and scale up past one waiting request.
    await kubectl(api.kubeconfig, ['patch', '-n', NS, 'inferenceservice', isvc, '--type=merge',
      '-p', JSON.stringify({
        spec: {
          scaling: { minReplicas: 1, maxReplicas: 2, targetQueueDepth: 1, pollIntervalSeconds: 1 },
        },
      })]);
    await pollUntil(async () => {
      const out = await kubectl(api.kubeconfig, ['get', '-n', NS, 'deployments', '-o', 'name']);
      return out.includes(`deployment.apps/${isvc}`);
    }, { timeoutMs: 20_000, intervalMs: 200, what: `the operator's Deployment ${isvc}` });
    await addReadyReplica(api.kubeconfig, isvc, engine.port);
    const series = { namespace: NS, inferenceservice: isvc };
    await pollUntil(async () => hasSample(await operatorMetrics(op),
      'mistral_operator_observed_queue_depth', series),
    { timeoutMs: 20_000, intervalMs: 200, what: 'the operator to read the engine' });

    const load = startLoad(engine, MODEL, 4);
    try {
      await pollUntil(async () => {
        const [o, e] = [await operatorMetrics(op), await metrics(engine)];
        const up = { ...series, direction: 'up' };
        return hasSample(o, 'mistral_operator_scale_events_total', up) &&
          hasSample(e, 'mistral_engine_requests_rejected_total', { reason: 'queue_full' });
      }, { timeoutMs: 60_000, intervalMs: 200, what: 'a scale-up and a 429' });
    } finally {
      await load.stop();
    }
    operatorParsed = await operatorMetrics(op);
    engineParsed = await metrics(engine);
    operatorFamilies = families(operatorParsed);
    engineFamilies = families(engineParsed);
  });

  after(async () => {
    await op?.stop();
    await api?.stop();
    await engine?.stop();
    model?.cleanup();
  });

  // Where a family comes from: {source, type, labels} or undefined.
  function origin(name) {
    const engineFamily = metricFamily(name, engineFamilies.types);
    if (engineFamily) {
      return {
        source: 'engine', family: engineFamily, type: engineFamilies.types.get(engineFamily),
        labels: new Set([...engineFamilies.labels.get(engineFamily), ...ENGINE_TARGET_LABELS]),
      };
    }
    const operatorFamily = metricFamily(name, operatorFamilies.types);
    if (operatorFamily) {
      return {
        source: 'operator', family: operatorFamily,
        type: operatorFamilies.types.get(operatorFamily),
        labels: operatorFamilies.labels.get(operatorFamily),
      };
    }
    if (KUBE_STATE_METRICS.has(name)) {
      return { source: 'kube-state-metrics', family: name, type: 'gauge',
        labels: new Set(KUBE_STATE_METRICS.get(name)) };
    }
    return undefined;
  }

  test('every metric named in a dashboard is exported by the engine or the operator', () => {
    const missing = [];
    for (const q of queries) {
      for (const s of q.selectors) if (!origin(s.name)) missing.push(`${q.where}: ${s.name}`);
    }
    assert.deepEqual(missing, []);
    const used = new Set(queries.flatMap((q) => q.selectors.map((s) => s.name)));
    assert.ok([...used].some((n) => origin(n).source === 'engine'));
    assert.ok([...used].some((n) => origin(n).source === 'operator'));
  });

  test('every label a query filters or lists is on those series', () => {
    const wrong = [];
    for (const q of queries) {
      for (const s of q.selectors) {
        const o = origin(s.name);
        if (!o) continue;  // reported by the test above
        const labels = s.matchers.map((m) => m.label).concat(q.label ? [q.label] : []);
        for (const label of labels) {
          if (!o.labels.has(label)) wrong.push(`${q.where}: ${s.name} has no label ${label}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('rate() and increase() read counters, histogram_quantile() histogram buckets', () => {
    const wrong = [];
    for (const q of queries) {
      const ranged = /\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g;
      for (const m of q.expr.matchAll(ranged)) {
        const o = origin(m[1]);
        if (!o) continue;  // reported above
        const ok = o.type === 'counter' || (o.type === 'histogram' && m[1].endsWith('_bucket'));
        if (!ok) wrong.push(`${q.where}: ${m[1]} is a ${o.type}`);
      }
      if (!q.expr.includes('histogram_quantile(')) continue;
      for (const s of q.selectors) {
        if (!s.name.endsWith('_bucket') || origin(s.name)?.type !== 'histogram') {
          wrong.push(`${q.where}: histogram_quantile over ${s.name}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('the autoscaling and 429 series have samples for the InferenceService', () => {
    const series = { namespace: NS, inferenceservice: isvc };
    const gauges = ['mistral_operator_desired_replicas', 'mistral_operator_observed_queue_depth'];
    for (const name of gauges) {
      assert.ok(hasSample(operatorParsed, name, series), `${name}{${NS}/${isvc}}`);
    }
    assert.ok(hasSample(operatorParsed, 'mistral_operator_scale_events_total',
      { ...series, direction: 'up' }));
    assert.ok(hasSample(engineParsed, 'mistral_engine_requests_rejected_total',
      { model_name: MODEL, reason: 'queue_full' }));
  });

  test('every kube-state-metrics name allowed is used', () => {
    const used = new Set(queries.flatMap((q) => q.selectors.map((s) => s.name)));
    for (const name of KUBE_STATE_METRICS.keys()) assert.ok(used.has(name), `${name} is used`);
  });
});
