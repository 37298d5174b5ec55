{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "vitrine.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: <release>-vitrine, or the release name when it already contains the chart name. */}}
{{- define "vitrine.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vitrine.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vitrine.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vitrine.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vitrine.labels" -}}
helm.sh/chart: {{ include "vitrine.chart" . }}
{{ include "vitrine.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "vitrine.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vitrine.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vitrine.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "vitrine.claimName" -}}
{{- default (printf "%s-data" (include "vitrine.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* Environment shared by the server and the index Job: ConfigMap, optional Secret, extra variables. */}}
{{- define "vitrine.envFrom" -}}
- configMapRef:
    name: {{ include "vitrine.fullname" . }}
{{- if .Values.existingSecret }}
- secretRef:
    name: {{ .Values.existingSecret }}
{{- end }}
{{- end -}}

{{/* The data volume: the PVC (embedded store, single writer) or an emptyDir when persistence is off. */}}
{{- define "vitrine.dataVolume" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "vitrine.claimName" . }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{/* Non-empty when the index lives in a shared store (config.store, or VITRINE_STORE from existingSecret). */}}
{{- define "vitrine.sharedStore" -}}
{{- if or .Values.config.store .Values.existingSecret -}}true{{- end -}}
{{- end -}}
