// The dashboards as Grafana loads them: valid JSON in the Grafana 10/11 model, templated on the
// datasource, namespace and InferenceService, every panel on ${datasource}, every query filtered
// by the variables, the panels present, and the chart's copies identical.
// Run: node tests/grafana/dashboard_structure.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CHART_DASHBOARD_DIR, DASHBOARD_DIR, allPanels, dashboardFiles, dashboardQueries, loadDashboards,
} from './dashboard_queries.mjs';
import { labelValuesQuery, metricFamily, promqlSelectors } from './promql_selectors.mjs';

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const dashboards = loadDashboards();
const byFile = new Map(dashboards.map((d) => [d.file, d.json]));

describe('PromQL selector extraction', () => {
  test('names metrics, not functions, labels, numbers, ranges or variables', () => {
    const expr = 'histogram_quantile(0.99, sum by (namespace, le) (rate(' +
      'vllm:time_to_first_token_seconds_bucket{namespace=~"$namespace", pod!="a,b}"}' +
      '[$__rate_interval]))) / on (namespace) group_left() sum without (pod) (' +
      'up offset 5m) * $target + 1e3 and {__name__="other", job="x"}';
    assert.deepEqual(promqlSelectors(expr), [
      {
        name: 'vllm:time_to_first_token_seconds_bucket',
        matchers: [
          { label: 'namespace', op: '=~', value: '$namespace' },
          { label: 'pod', op: '!=', value: 'a,b}' },
        ],
      },
      { name: 'up', matchers: [] },
      { name: 'other', matchers: [{ label: 'job', op: '=', value: 'x' }] },
    ]);
  });

  test('sum(x) by (l) and label_replace strings', () => {
    const names = promqlSelectors(
      'sum(rate(a_total[5m])) by (l) > bool 0 or label_replace(b, "dst", "$1", "src", "(.*)")')
      .map((s) => s.name);
    assert.deepEqual(names, ['a_total', 'b']);
  });

  test('unknown functions and stray characters are errors, not skipped', () => {
    assert.throws(() => promqlSelectors('rte(a[5m])'), /unknown function 'rte'/);
    assert.throws(() => promqlSelectors('a{b="c"'), /PromQL/);
    assert.throws(() => promqlSelectors('a ; b'), /unexpected character/);
    assert.throws(() => labelValuesQuery('query_result(a)'), /unsupported variable query/);
  });

  test('label_values() variables', () => {
    assert.deepEqual(labelValuesQuery('label_values(m{a=~"$a"}, b)'), {
      selectors: [{ name: 'm', matchers: [{ label: 'a', op: '=~', value: '$a' }] }], label: 'b',
    });
  });

  test('histogram series map to their family only for histograms', () => {
    const types = new Map([['h', 'histogram'], ['c_total', 'counter'], ['s', 'summary']]);
    assert.equal(metricFamily('h_bucket', types), 'h');
    assert.equal(metricFamily('h_count', types), 'h');
    assert.equal(metricFamily('s_sum', types), 's');
    assert.equal(metricFamily('s_bucket', types), undefined);
    assert.equal(metricFamily('c_total', types), 'c_total');
    assert.equal(metricFamily('c_total_count', types), undefined);
  });
});

describe('dashboard JSON', () => {
  test('both dashboards exist, with stable distinct uids', () => {
    assert.deepEqual(dashboardFiles(), ['engine-detail.json', 'fleet-overview.json']);
    const uids = dashboards.map((d) => d.json.uid);
    assert.equal(new Set(uids).size, uids.length, 'uids differ');
    for (const { file, json } of dashboards) {
      assert.match(json.uid, /^[a-z0-9-]{1,40}$/, `${file}: uid`);
      assert.ok(json.title?.startsWith('mistral-fleet / '), `${file}: title`);
      assert.equal(json.schemaVersion, 39, `${file}: schemaVersion`);
      assert.equal(json.id, null, `${file}: id is left to Grafana`);
    }
  });

  for (const { file, json } of dashboards) {
    test(`${file}: templated on datasource, namespace and inferenceservice`, () => {
      const vars = new Map(json.templating.list.map((v) => [v.name, v]));
      const ds = vars.get('datasource');
      assert.equal(ds?.type, 'datasource');
      assert.equal(ds.query, 'prometheus');
      for (const name of ['namespace', 'inferenceservice']) {
        const v = vars.get(name);
        assert.equal(v?.type, 'query', `${name} is a query variable`);
        assert.deepEqual(v.datasource, DATASOURCE, `${name} reads \${datasource}`);
        assert.equal(labelValuesQuery(v.query.query).label, name, `${name} lists its label`);
        assert.equal(v.definition, v.query.query, `${name}: definition shows the query`);
      }
      // inferenceservice depends on namespace.
      const isvc = labelValuesQuery(vars.get('inferenceservice').query.query);
      assert.ok(isvc.selectors[0].matchers.some(
        (m) => m.label === 'namespace' && m.value === '$namespace'));
    });

    test(`${file}: every panel queries \${datasource}, with unique ids and a valid grid`, () => {
      const ids = new Set();
      for (const panel of allPanels(json)) {
        assert.ok(Number.isInteger(panel.id) && !ids.has(panel.id), `panel id ${panel.id}`);
        ids.add(panel.id);
        const { x, y, w, h } = panel.gridPos;
        assert.ok(x >= 0 && w >= 1 && x + w <= 24 && y >= 0 && h >= 1, `${panel.title}: gridPos`);
        if (panel.type === 'row') continue;
        assert.ok(panel.title, `panel ${panel.id} has a title`);
        assert.deepEqual(panel.datasource, DATASOURCE, `${panel.title}: datasource`);
        assert.ok(panel.targets?.length > 0, `${panel.title}: has queries`);
        const refs = new Set();
        for (const target of panel.targets) {
          assert.deepEqual(target.datasource, DATASOURCE, `${panel.title} ${target.refId}`);
          assert.ok(target.expr?.trim(), `${panel.title} ${target.refId}: expr`);
          assert.ok(!refs.has(target.refId), `${panel.title}: refId ${target.refId} unique`);
          refs.add(target.refId);
        }
      }
    });

    test(`${file}: every selector is filtered by the namespace and InferenceService`, () => {
      const queries = dashboardQueries(json, file);
      assert.ok(queries.length > 10, 'dashboards have queries');
      for (const q of queries) {
        assert.ok(q.selectors.length > 0, `${q.where}: names a metric`);
        if (q.label) continue;  // a variable query lists values, it is not filtered by itself
        for (const s of q.selectors) {
          const has = (labels, value) => s.matchers.some(
            (m) => labels.includes(m.label) && m.op === '=~' && m.value === value);
          assert.ok(has(['namespace'], '$namespace'), `${q.where}: ${s.name} by namespace`);
          assert.ok(has(['inferenceservice', 'deployment'], '$inferenceservice'),
            `${q.where}: ${s.name} by InferenceService`);
          if (file === 'engine-detail.json' && !s.name.startsWith('mistral_operator_')) {
            assert.ok(has(['pod'], '$pod'), `${q.where}: ${s.name} by pod`);
          }
        }
      }
    });
  }

  test('the fleet overview shows what issue 6 asks for', () => {
    const queries = dashboardQueries(byFile.get('fleet-overview.json'), 'fleet-overview.json');
    const exprs = queries.filter((q) => !q.label).map((q) => q.expr);
    const uses = (re) => exprs.some((e) => re.test(e));
    const quantiles = (family) =>
      [0.5, 0.99].every((q) => uses(new RegExp(
        `^histogram_quantile\\(${q}, .*rate\\(${family}_bucket\\{`)));
    assert.ok(uses(/mistral_operator_desired_replicas/), 'desired replicas');
    assert.ok(uses(/kube_deployment_status_replicas_ready/), 'ready replicas');
    assert.ok(uses(/mistral_operator_observed_queue_depth/), 'queue depth');
    assert.ok(uses(/\$target_queue_depth \* /), 'queue depth target');
    assert.ok(uses(/rate\(vllm:request_success_total/), 'requests/s');
    assert.ok(quantiles('vllm:time_to_first_token_seconds'), 'TTFT p50 and p99');
    assert.ok(quantiles('vllm:time_per_output_token_seconds'), 'inter-token latency p50 and p99');
    assert.ok(uses(/rate\(vllm:generation_tokens_total/), 'output tokens/s');
    assert.ok(uses(/vllm:kv_cache_usage_perc/), 'KV-cache usage');
    assert.ok(uses(/rate\(mistral_engine_requests_rejected_total\{[^}]*reason="queue_full"/),
      '429s');
    assert.ok(uses(/rate\(mistral_engine_requests_aborted_total/), 'errors');
    assert.ok(uses(/increase\(mistral_operator_scale_events_total/), 'scale events');
  });

  test('the engine detail is per pod', () => {
    const json = byFile.get('engine-detail.json');
    assert.equal(labelValuesQuery(
      json.templating.list.find((v) => v.name === 'pod').query.query).label, 'pod');
    const grouped = dashboardQueries(json, 'engine-detail.json')
      .filter((q) => q.where.includes('.panels[') && /\b(sum|max|avg) by \(/.test(q.expr));
    assert.ok(grouped.length > 10);
    for (const q of grouped) assert.match(q.expr, /by \(namespace, pod\b/, q.where);
  });
});

describe('chart copies', () => {
  test('charts/mistral-fleet/dashboards/ holds byte-identical copies', () => {
    assert.deepEqual(dashboardFiles(CHART_DASHBOARD_DIR), dashboardFiles(DASHBOARD_DIR));
    for (const file of dashboardFiles()) {
      assert.ok(readFileSync(path.join(CHART_DASHBOARD_DIR, file))
        .equals(readFileSync(path.join(DASHBOARD_DIR, file))), `${file} differs in the chart`);
    }
  });
});
