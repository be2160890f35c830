{{/*
What mistral-operator calls in the namespaces it watches, and nothing more; the list
`mistral-operator --print-rbac-rules` prints, less the Lease (tests/chart compares them):
- InferenceServices: list and watch (informers), status by server-side apply;
- Deployments, Services, PodDisruptionBudgets: list and watch, created and kept in shape by
  server-side apply (a PATCH that creates is also authorized as create);
- engine pods and their EndpointSlices: list and watch (readiness, autoscaling);
- Events: created, and patched when one repeats.
*/}}
{{- define "mistral-fleet.operatorRules" -}}
- apiGroups: [serving.mistral-fleet.dev]
  resources: [inferenceservices]
  verbs: [list, watch]
- apiGroups: [serving.mistral-fleet.dev]
  resources: [inferenceservices/status]
  verbs: [patch]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [list, watch, create, patch]
- apiGroups: [""]
  resources: [services]
  verbs: [list, watch, create, patch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [list, watch, create, patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{/*
Leader election: the operator creates its Lease, reads it and renews it (PUT); creating cannot be
limited to one name, reading and renewing can.
*/}}
{{- define "mistral-fleet.leaderElectionRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [{{ include "mistral-fleet.fullname" . }}]
  verbs: [get, update]
{{- end }}
