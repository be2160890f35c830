{{/* The chart name, or nameOverride. */}}
{{- define "mistral-fleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: fullnameOverride, else the release name when it contains the chart name, else
RELEASE-CHART. 63 characters at most (a DNS label).
*/}}
{{- define "mistral-fleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* CHART-VERSION for the helm.sh/chart label. */}}
{{- define "mistral-fleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The operator pods' selector. app.kubernetes.io/component keeps it apart from the engine pods,
which carry app.kubernetes.io/managed-by: mistral-operator.
*/}}
{{- define "mistral-fleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mistral-fleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels on every object of the chart. */}}
{{- define "mistral-fleet.labels" -}}
helm.sh/chart: {{ include "mistral-fleet.chart" . }}
{{ include "mistral-fleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mistral-fleet
{{- end }}

{{/* The operator's ServiceAccount. */}}
{{- define "mistral-fleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mistral-fleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* REPOSITORY:TAG, the tag defaulting to the chart's appVersion. Takes (list IMAGE CONTEXT). */}}
{{- define "mistral-fleet.image" -}}
{{- $image := index . 0 }}
{{- $root := index . 1 }}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/*
The one namespace the operator watches, or "" for all of them. The operator takes a single
--namespace; the schema allows one name, and this check holds with --skip-schema-validation too.
*/}}
{{- define "mistral-fleet.watchNamespace" -}}
{{- if gt (len .Values.watchNamespaces) 1 }}
{{- fail "watchNamespaces: the operator watches one namespace or all of them; give at most one (install the chart once per namespace for several)" }}
{{- end }}
{{- if .Values.watchNamespaces }}{{ first .Values.watchNamespaces }}{{ end }}
{{- end }}
