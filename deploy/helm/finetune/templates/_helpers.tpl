{{/*
Names, labels and the pieces shared by the trainer pods. Objects keep the reference chart's names
(<name>-pytorchjob, -pvc, -secret, -dataaccess) so its documented kubectl commands still apply.
*/}}

{{- /* Object names add up to 12 characters (-pytorchjob) and must be DNS-1035 labels. */ -}}
{{- define "finetune.name" -}}
{{- $name := default .Release.Name .Values.metadata.name -}}
{{- if or (gt (len $name) 40) (not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name)) -}}
{{- fail (printf "name %q (metadata.name, else the release name) must be at most 40 characters of lowercase letters, digits and '-', starting with a letter and not ending with '-'" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "finetune.namespace" -}}
{{- default .Release.Namespace .Values.metadata.namespace -}}
{{- end -}}

{{- define "finetune.claimName" -}}
{{- default (printf "%s-pvc" (include "finetune.name" .)) .Values.storage.existingClaim -}}
{{- end -}}

{{- define "finetune.secretName" -}}
{{- if .Values.secret.existingSecret -}}
{{- .Values.secret.existingSecret -}}
{{- else if or .Values.secret.token .Values.secret.encodedToken -}}
{{- printf "%s-secret" (include "finetune.name" .) -}}
{{- end -}}
{{- end -}}

{{- define "finetune.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Standard labels; call with (dict "root" $ "component" "trainer"). */}}
{{- define "finetune.labels" -}}
{{ include "finetune.selectorLabels" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: finetune
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Pod-level securityContext: only the fields that are set. */}}
{{- define "finetune.podSecurityContext" -}}
{{- $sc := .Values.securityContext -}}
{{- if and (eq (toString $sc.runAsUser) "0") $sc.runAsNonRoot -}}
{{- fail "securityContext.runAsUser 0 (root) contradicts runAsNonRoot true: every pod would fail to start; give a non-zero uid" -}}
{{- end -}}
{{- range $field := list "runAsUser" "runAsGroup" "fsGroup" "runAsNonRoot" -}}
{{- if not (kindIs "invalid" (index $sc $field)) }}
{{ $field }}: {{ index $sc $field }}
{{- end -}}
{{- end }}
{{- if not (kindIs "invalid" $sc.fsGroup) }}
fsGroupChangePolicy: OnRootMismatch  # not a walk over the whole volume at every pod start
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level securityContext: only the fields that are set; no Linux capabilities. */}}
{{- define "finetune.containerSecurityContext" -}}
{{- $sc := .Values.securityContext -}}
{{- range $field := list "allowPrivilegeEscalation" "readOnlyRootFilesystem" -}}
{{- if not (kindIs "invalid" (index $sc $field)) }}
{{ $field }}: {{ index $sc $field }}
{{- end -}}
{{- end }}
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
One value for request and limit (Guaranteed QoS). Takes (dict "single" X "request" R "limit" L
"name" "cpu"); the reference chart's request/limit pair wins over the single value when set.
*/}}
{{- define "finetune.guaranteed" -}}
{{- $r := .request -}}
{{- $l := .limit -}}
{{- if and (not (kindIs "invalid" $r)) (not (kindIs "invalid" $l)) (ne (toString $r) (toString $l)) -}}
{{- fail (printf "resources.%sRequest (%v) differs from resources.%sLimit (%v): set resources.%s alone; requests must equal limits for Guaranteed QoS" .name $r .name $l .name) -}}
{{- end -}}
{{- $v := coalesce $l $r .single -}}
{{- if kindIs "invalid" $v -}}
{{- fail (printf "resources.%s is empty: set it (requests = limits)" .name) -}}
{{- end -}}
{{- toString $v -}}
{{- end -}}

{{- /* One node can mount a ReadWriteOnce volume: refuse it when several pods share the volume. */ -}}
{{- define "finetune.checkSharedVolume" -}}
{{- $v := .Values -}}
{{- $pods := add (int $v.distributed.workers) (ternary 1 0 (and $v.dataAccess.enabled (empty $v.storage.existingClaim))) }}
{{- if and (gt (int $pods) 1) (ne $v.storage.accessMode "ReadWriteMany") (empty $v.storage.existingClaim) }}
{{- fail (printf "storage.accessMode %s lets one node mount the volume, but %d pods share it (workers and the data-access pod): use ReadWriteMany" $v.storage.accessMode (int $pods)) }}
{{- end }}
{{- end -}}
