// What the dashboards read that neither mistral-engine nor mistral-operator exports, so the test
// cannot scrape it: each entry is documented here and nothing else is allowed.

// kube-state-metrics, only for what the operator does not export: how many replicas each
// InferenceService's Deployment (named after it) asks for and has ready, whatever its scaling
// mode (the operator's mistral_operator_desired_replicas covers queueDepth only). Names and
// labels as kube-state-metrics documents them (docs/metrics/workload/deployment-metrics.md);
// Prometheus must keep their own `namespace` label (honor_labels, as kube-prometheus-stack does).
export const KUBE_STATE_METRICS = new Map([
  ['kube_deployment_spec_replicas', ['namespace', 'deployment']],
  ['kube_deployment_status_replicas_ready', ['namespace', 'deployment']],
]);

// Labels Prometheus puts on every engine sample when it scrapes an engine pod through the chart's
// PodMonitor: namespace and pod (prometheus-operator adds them to every pod target) and
// inferenceservice (copied from the pod label serving.mistral-fleet.dev/inferenceservice).
export const ENGINE_TARGET_LABELS = ['namespace', 'pod', 'inferenceservice'];
