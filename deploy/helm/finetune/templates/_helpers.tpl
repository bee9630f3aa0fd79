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
{{- /* A Kubernetes quantity's value in base units, so that 4 and 4000m, or 1Gi and 1024Mi, compare
       equal (the values schema has checked the notation). */ -}}
{{- define "finetune.quantityValue" -}}
{{- $q := toString . -}}
{{- $suffix := regexFind "(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)$" $q -}}
{{- $number := float64 (trimSuffix $suffix $q) -}}
{{- $up := dict "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 -}}
{{- $down := dict "n" 1e9 "u" 1e6 "m" 1e3 -}}
{{- if hasKey $down $suffix -}}
{{- divf $number (get $down $suffix) -}}
{{- else -}}
{{- mulf $number (get $up $suffix | default 1.0) -}}
{{- end -}}
{{- end -}}

{{- define "finetune.guaranteed" -}}
{{- $r := .request -}}
{{- $l := .limit -}}
{{- if and (not (kindIs "invalid" $r)) (not (kindIs "invalid" $l)) (ne (include "finetune.quantityValue" $r) (include "finetune.quantityValue" $l)) -}}
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

{{- define "finetune.image" -}}
{{- printf "%s:%s" .Values.image.name (toString .Values.image.tag) -}}
{{- end -}}
