#!/usr/bin/env bash
# kubectl (unmodified) against fake-kube-apiserver: CRD install, client-side and server-side
# apply, printer columns, owned Deployment and Service, /scale, watch, cascading delete, apply
# conflicts, api-resources and explain.
# Usage: kubectl_e2e.sh FAKE_APISERVER_BIN KUBECTL_BIN SOURCE_DIR   (exit 77: kubectl missing)
set -euo pipefail

server_bin=$1
kubectl_bin=$2
src=$3
if [[ ! -x $kubectl_bin ]]; then
  echo "SKIP: kubectl not found at $kubectl_bin"
  exit 77
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs kubectl with a bound on its time; the output goes to stdout.
k() { timeout 30 "$kubectl_bin" --kubeconfig "$work/kubeconfig" "$@"; }
expect_contains() {  # TEXT NEEDLE WHAT
  grep -qF -- "$2" <<<"$1" || fail "$3: expected '$2' in:"$'\n'"$1"
}
expect_not_contains() {
  if grep -qF -- "$2" <<<"$1"; then fail "$3: did not expect '$2' in:"$'\n'"$1"; fi
}
# Polls CMD until its output contains NEEDLE (50 x 0.1 s).
wait_for() {  # NEEDLE CMD...
  local needle=$1; shift
  for _ in $(seq 1 50); do
    if "$@" 2>/dev/null | grep -qF -- "$needle"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for '$needle' from: $*"
}
# Polls CMD until its output no longer contains NEEDLE.
wait_gone() {  # NEEDLE CMD...
  local needle=$1; shift
  for _ in $(seq 1 50); do
    if ! "$@" 2>/dev/null | grep -qF -- "$needle"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for '$needle' to go from: $*"
}

"$server_bin" --dir "$work" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on https://127.0.0.1:" "$work/server.log" || fail "server did not start: $(cat "$work/server.log")"

echo "--- version and discovery"
out=$(k version 2>&1)
expect_contains "$out" "Server Version: v1.32" "kubectl version"

echo "--- CRD by server-side apply"
out=$(k apply --server-side -f "$src/crds/")
expect_contains "$out" "customresourcedefinition.apiextensions.k8s.io/inferenceservices.serving.mistral-fleet.dev serverside-applied" "apply crds"
out=$(k api-resources)
expect_contains "$out" "inferenceservices" "api-resources lists the CRD"
expect_contains "$(grep inferenceservices <<<"$out")" "misvc" "short name"
expect_contains "$(grep inferenceservices <<<"$out")" "serving.mistral-fleet.dev/v1alpha1" "group version"
expect_contains "$(k api-resources --categories=mistral-fleet)" "inferenceservices" "category"
out=$(k explain misvc.spec.replicas)
expect_contains "$out" "FIELD: replicas <integer>" "explain"

echo "--- client-side apply, then again after an edit (PATCH)"
out=$(k apply -f "$src/manifests/samples/mistral-7b-cpu.yaml")
expect_contains "$out" "inferenceservice.serving.mistral-fleet.dev/mistral-7b-cpu created" "apply sample"
sed 's/threads: 8/threads: 4/' "$src/manifests/samples/mistral-7b-cpu.yaml" >"$work/edited.yaml"
out=$(k apply -f "$work/edited.yaml")
expect_contains "$out" "mistral-7b-cpu configured" "apply edited sample"
[[ $(k get misvc mistral-7b-cpu -o jsonpath='{.spec.engine.threads} {.metadata.generation}') == "4 2" ]] \
  || fail "edit not applied: $(k get misvc mistral-7b-cpu -o jsonpath='{.spec.engine.threads} {.metadata.generation}')"
out=$(k apply -f "$work/edited.yaml")
expect_contains "$out" "mistral-7b-cpu unchanged" "re-apply unchanged"

echo "--- printer columns"
out=$(k get misvc -o wide)
expect_contains "$(head -1 <<<"$out")" "MODEL" "wide shows priority-1 columns"
expect_contains "$(head -1 <<<"$out")" "ACCELERATOR" "wide shows priority-1 columns"
expect_contains "$(head -1 <<<"$out")" "DESIRED" "columns"
expect_contains "$out" "hf://TheBloke/Mistral-7B-Instruct-v0.2-GGUF" "model column"
out=$(k get misvc)
expect_not_contains "$(head -1 <<<"$out")" "MODEL" "priority-1 columns hidden without -o wide"
expect_contains "$(head -1 <<<"$out")" "AGE" "age column"

echo "--- get -o yaml (defaults filled in)"
out=$(k get misvc mistral-7b-cpu -o yaml)
expect_contains "$out" "kind: InferenceService" "yaml kind"
expect_contains "$out" "uid:" "yaml uid"
expect_contains "$out" "mode: none" "schema default scaling.mode"

echo "--- Deployment and Service owned by the InferenceService"
uid=$(k get misvc mistral-7b-cpu -o jsonpath='{.metadata.uid}')
cat >"$work/owned.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mistral-7b-cpu
  ownerReferences:
  - {apiVersion: serving.mistral-fleet.dev/v1alpha1, kind: InferenceService, name: mistral-7b-cpu, uid: $uid, controller: true, blockOwnerDeletion: true}
spec:
  replicas: 2
  selector:
    matchLabels: {app: mistral-7b-cpu}
  template:
    metadata:
      labels: {app: mistral-7b-cpu}
    spec:
      containers:
      - name: engine
        image: mistral-engine:latest
        ports:
        - containerPort: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: mistral-7b-cpu
  ownerReferences:
  - {apiVersion: serving.mistral-fleet.dev/v1alpha1, kind: InferenceService, name: mistral-7b-cpu, uid: $uid, controller: true, blockOwnerDeletion: true}
spec:
  selector: {app: mistral-7b-cpu}
  ports:
  - port: 8000
YAML
k apply -f "$work/owned.yaml" >/dev/null
out=$(k get deploy,svc)
expect_contains "$out" "deployment.apps/mistral-7b-cpu" "deployment listed"
expect_contains "$out" "0/2" "deployment READY column"
expect_contains "$out" "service/mistral-7b-cpu" "service listed"
expect_contains "$out" "8000/TCP" "service PORT(S) column"
expect_contains "$out" "ClusterIP" "service TYPE column"
[[ $(k get svc mistral-7b-cpu -o jsonpath='{.spec.clusterIP}') =~ ^10\.96\. ]] || fail "no cluster IP allocated"
# Client-side apply of an edited Deployment goes through a strategic merge patch.
sed 's/image: mistral-engine:latest/image: mistral-engine:v2/' "$work/owned.yaml" >"$work/owned2.yaml"
k apply -f "$work/owned2.yaml" >/dev/null
[[ $(k get deploy mistral-7b-cpu -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}') == "mistral-engine:v2 8000" ]] \
  || fail "strategic merge patch of the container image"

echo "--- scale through /scale"
out=$(k scale misvc/mistral-7b-cpu --replicas=2)
expect_contains "$out" "scaled" "scale"
[[ $(k get misvc mistral-7b-cpu -o jsonpath='{.spec.replicas}') == 2 ]] || fail "spec.replicas not 2 after scale"
k scale misvc/mistral-7b-cpu --replicas=3 >/dev/null
[[ $(k get misvc mistral-7b-cpu -o jsonpath='{.spec.replicas}') == 3 ]] || fail "spec.replicas not 3 after scale"

echo "--- watch sees a change"
timeout 10 "$kubectl_bin" --kubeconfig "$work/kubeconfig" get misvc --watch --output-watch-events >"$work/watch.out" 2>&1 &
watch_pid=$!
wait_for "ADDED" cat "$work/watch.out"
k patch misvc mistral-7b-cpu --type=merge -p '{"spec":{"replicas":1}}' >/dev/null
wait_for "MODIFIED" cat "$work/watch.out"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true

echo "--- server-side apply conflicts"
k apply --server-side --field-manager=team-a -f "$src/manifests/samples/mistral-7b-cpu.yaml" --force-conflicts >/dev/null
sed 's/replicas: 2/replicas: 4/' "$src/manifests/samples/mistral-7b-cpu.yaml" >"$work/conflict.yaml"
if out=$(k apply --server-side --field-manager=team-b -f "$work/conflict.yaml" 2>&1); then
  fail "conflicting apply succeeded: $out"
fi
expect_contains "$out" 'Apply failed with 1 conflict: conflict with "team-a": .spec.replicas' "conflict message"
out=$(k apply --server-side --field-manager=team-b --force-conflicts -f "$work/conflict.yaml")
expect_contains "$out" "serverside-applied" "forced apply"
[[ $(k get misvc mistral-7b-cpu -o jsonpath='{.spec.replicas}') == 4 ]] || fail "forced apply did not set replicas"
out=$(k get misvc mistral-7b-cpu -o yaml --show-managed-fields)
expect_contains "$out" "manager: team-b" "managedFields lists team-b"

echo "--- cascading delete"
out=$(k delete misvc mistral-7b-cpu)
expect_contains "$out" 'inferenceservice.serving.mistral-fleet.dev "mistral-7b-cpu" deleted' "delete"
wait_gone "mistral-7b-cpu" k get deploy,svc -o name
out=$(k get deploy,svc 2>&1)
expect_not_contains "$out" "mistral-7b-cpu" "dependents deleted"

echo "--- CRD delete removes the resource type"
k delete -f "$src/crds/" >/dev/null
wait_gone "inferenceservices" k api-resources

echo "PASS"
