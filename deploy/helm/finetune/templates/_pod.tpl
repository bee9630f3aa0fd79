{{/*
The trainer pods. The pieces (environment, resources, mounts, volumes, scheduling) are shared by the
whole pod template (PyTorchJob replicas, the chart's own TrainingRuntime) and by a TrainJob that
patches them into a runtime someone else provides (trainjob.yaml). Each takes the chart root.
*/}}

{{- /* Requests = limits, one value per resource (Guaranteed QoS). */ -}}
{{- define "finetune.cpu" -}}
{{- $r := .Values.resources -}}
{{- include "finetune.guaranteed" (dict "name" "cpu" "single" $r.cpu "request" $r.cpuRequest "limit" $r.cpuLimit) -}}
{{- end -}}

{{- define "finetune.resources" -}}
{{- $cpu := include "finetune.cpu" . -}}
{{- $r := .Values.resources -}}
{{- $memory := include "finetune.guaranteed" (dict "name" "memory" "single" $r.memory "request" $r.memoryRequest "limit" $r.memoryLimit) -}}
requests:
  cpu: {{ $cpu | quote }}
  memory: {{ $memory | quote }}
limits:
  cpu: {{ $cpu | quote }}
  memory: {{ $memory | quote }}
{{- end -}}

{{- define "finetune.env" -}}
{{- $v := .Values -}}
{{- $cpu := include "finetune.cpu" . -}}
- name: HOME
  value: /tmp
{{- /* One thread per whole core of the quota ("2000m" and "2.5" give 2): libgomp would otherwise
       start one per CPU of the node. */}}
- name: OMP_NUM_THREADS
  value: {{ max 1 (ternary (div (atoi (trimSuffix "m" $cpu)) 1000) (int (floor (float64 $cpu))) (hasSuffix "m" $cpu)) | toString | quote }}
{{- $envVars := dict
  "HF_HOME" $v.envVars.hfHome
  "HF_HUB_CACHE" $v.envVars.transformersCache
  "TRANSFORMERS_CACHE" $v.envVars.transformersCache
  "HF_DATASETS_CACHE" $v.envVars.hfDatasetsCache
  "LOGLEVEL" $v.envVars.logLevel
  "LD_PRELOAD" $v.envVars.ldPreload
  "CCL_WORKER_COUNT" $v.envVars.cclWorkerCount
  "http_proxy" $v.envVars.httpProxy
  "https_proxy" $v.envVars.httpsProxy
  "no_proxy" $v.envVars.noProxy
  "ftp_proxy" $v.envVars.ftpProxy
  "socks_proxy" $v.envVars.socksProxy }}
{{- range $name, $value := merge $envVars (default dict $v.envVars.extra) }}
{{- if not (kindIs "invalid" $value) }}
- name: {{ $name }}
  value: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "finetune.volumeMounts" -}}
- name: shared
  mountPath: {{ .Values.storage.pvcMountPath }}
- name: dshm
  mountPath: /dev/shm
- name: tmp
  mountPath: /tmp
{{- if include "finetune.secretName" . }}
- name: hf-token
  mountPath: {{ .Values.envVars.hfHome }}
  readOnly: true
{{- end }}
{{- end -}}

{{- define "finetune.volumes" -}}
{{- $v := .Values -}}
{{- $secretName := include "finetune.secretName" . -}}
- name: shared
  persistentVolumeClaim:
    claimName: {{ include "finetune.claimName" . }}
- name: dshm
  emptyDir:
    medium: Memory
    sizeLimit: {{ $v.resources.shmSize | quote }}
- name: tmp
  emptyDir: {}
{{- if $secretName }}
- name: hf-token
  secret:
    secretName: {{ $secretName }}
    items:
      - key: {{ $v.secret.key }}
        path: token
        {{- if not (kindIs "invalid" $v.securityContext.fsGroup) }}
        mode: 288  # 0440: the token is readable by the pod's fsGroup only, not world-readable
        {{- end }}
{{- end }}
{{- end -}}

{{- /* Pod-level fields: grace period, security context and where the pods may run. */ -}}
{{- define "finetune.podSettings" -}}
{{- $v := .Values -}}
terminationGracePeriodSeconds: {{ int $v.job.terminationGracePeriodSeconds }}
securityContext:
  {{- include "finetune.podSecurityContext" . | trim | nindent 2 }}
{{- $nodeSelector := deepCopy (default dict $v.resources.nodeSelector) }}
{{- if $v.resources.nodeSelectorLabel }}
{{- $_ := set $nodeSelector $v.resources.nodeSelectorLabel (toString $v.resources.nodeSelectorValue) }}
{{- end }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.resources.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.resources.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The whole pod template: the trainer container named as the job controller expects (pytorch for a
PyTorchJob, node for a TrainJob's torch runtime), Guaranteed resources and writable mounts on a
read-only root filesystem. Takes (dict "root" . "container" name "restartPolicy" policy-or-empty).
*/}}
{{- define "finetune.podTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
metadata:
  labels:
    {{- include "finetune.labels" (dict "root" $root "component" "trainer") | nindent 4 }}
spec:
  {{- with .restartPolicy }}
  restartPolicy: {{ . }}
  {{- end }}
  automountServiceAccountToken: false  # the trainer never calls the Kubernetes API
  {{- include "finetune.podSettings" $root | nindent 2 }}
  containers:
    - name: {{ .container }}
      image: {{ include "finetune.image" $root | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      # The image's entrypoint is tini (PID 1, forwards SIGTERM) running finetune: only args here.
      args:
        - "train"
        {{- include "finetune.trainArgs" $root | trim | nindent 8 }}
      env:
        {{- include "finetune.env" $root | nindent 8 }}
      resources:
        {{- include "finetune.resources" $root | nindent 8 }}
      securityContext:
        {{- include "finetune.containerSecurityContext" $root | trim | nindent 8 }}
      volumeMounts:
        {{- include "finetune.volumeMounts" $root | nindent 8 }}
  volumes:
    {{- include "finetune.volumes" $root | nindent 4 }}
{{- end -}}
