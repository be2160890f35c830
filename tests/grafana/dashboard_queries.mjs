// The Grafana dashboards of mistral-fleet (manifests/grafana/*.json) and every PromQL query in
// them: panel targets, annotations (any `expr`, wherever it sits) and label_values() variables.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labelValuesQuery, promqlSelectors } from './promql_selectors.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.MF_SOURCE_DIR || path.resolve(here, '..', '..');
export const DASHBOARD_DIR = path.join(SOURCE_DIR, 'manifests', 'grafana');
export const CHART_DASHBOARD_DIR = path.join(SOURCE_DIR, 'charts', 'mistral-fleet', 'dashboards');

export function dashboardFiles(dir = DASHBOARD_DIR) {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
}

export function loadDashboards(dir = DASHBOARD_DIR) {
  return dashboardFiles(dir).map((file) => ({
    file, json: JSON.parse(readFileSync(path.join(dir, file), 'utf8')),
  }));
}

// Every panel, rows' nested panels included.
export function allPanels(dashboard) {
  const out = [];
  for (const panel of dashboard.panels ?? []) {
    out.push(panel);
    for (const inner of panel.panels ?? []) out.push(inner);
  }
  return out;
}

// Every string under a key `expr`, with where it was found.
function exprsIn(value, where, out) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => exprsIn(v, `${where}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'expr' && typeof v === 'string') out.push({ where: `${where}.expr`, expr: v });
      else exprsIn(v, `${where}.${key}`, out);
    }
  }
  return out;
}

// [{where, expr, selectors, label?}]: `label` is the label a label_values() variable reads.
export function dashboardQueries(dashboard, file) {
  const queries = exprsIn(dashboard, file, []).map((q) => ({
    ...q, selectors: promqlSelectors(q.expr),
  }));
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const parsed = labelValuesQuery(query);
    queries.push({
      where: `${file} variable ${variable.name}`, expr: query, selectors: parsed.selectors,
      label: parsed.label,
    });
  }
  return queries;
}
