{{/*
Pod template of the trainer pods: the trainer container (named as the job controller expects:
pytorch for a PyTorchJob, node for a TrainJob's torch runtime), its environment, Guaranteed
resources and writable mounts on a read-only root filesystem. Takes (dict "root" . "container" name
"restartPolicy" policy-or-empty).
*/}}
{{- define "finetune.podTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $cpu := include "finetune.guaranteed" (dict "name" "cpu" "single" $v.resources.cpu "request" $v.resources.cpuRequest "limit" $v.resources.cpuLimit) -}}
{{- $memory := include "finetune.guaranteed" (dict "name" "memory" "single" $v.resources.memory "request" $v.resources.memoryRequest "limit" $v.resources.memoryLimit) -}}
{{- $secretName := include "finetune.secretName" $root -}}
metadata:
  labels:
    {{- include "finetune.labels" (dict "root" $root "component" "trainer") | nindent 4 }}
spec:
  {{- with .restartPolicy }}
  restartPolicy: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ int $v.job.terminationGracePeriodSeconds }}
  automountServiceAccountToken: false  # the trainer never calls the Kubernetes API
  securityContext:
    {{- include "finetune.podSecurityContext" $root | trim | nindent 4 }}
  {{- $nodeSelector := deepCopy (default dict $v.resources.nodeSelector) }}
  {{- if $v.resources.nodeSelectorLabel }}
  {{- $_ := set $nodeSelector $v.resources.nodeSelectorLabel (toString $v.resources.nodeSelectorValue) }}
  {{- end }}
  {{- with $nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.resources.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.resources.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .container }}
      image: {{ printf "%s:%s" $v.image.name (toString $v.image.tag) | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      # The image's entrypoint is tini (PID 1, forwards SIGTERM) running finetune: only args here.
      args:
        - "train"
        {{- include "finetune.trainArgs" $root | trim | nindent 8 }}
      env:
        - name: HOME
          value: /tmp
        {{- /* One thread per whole core of the quota ("2000m" and "2.5" give 2): libgomp would
               otherwise start one per CPU of the node. */}}
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
      resources:
        requests:
          cpu: {{ $cpu | quote }}
          memory: {{ $memory | quote }}
        limits:
          cpu: {{ $cpu | quote }}
          memory: {{ $memory | quote }}
      securityContext:
        {{- include "finetune.containerSecurityContext" $root | trim | nindent 8 }}
      volumeMounts:
        - name: shared
          mountPath: {{ $v.storage.pvcMountPath }}
        - name: dshm
          mountPath: /dev/shm
        - name: tmp
          mountPath: /tmp
        {{- if $secretName }}
        - name: hf-token
          mountPath: {{ $v.envVars.hfHome }}
          readOnly: true
        {{- end }}
  volumes:
    - name: shared
      persistentVolumeClaim:
        claimName: {{ include "finetune.claimName" $root }}
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
