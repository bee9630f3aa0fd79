{{/*
The trainer's flags after `finetune train`: one Hugging Face-named flag per value (see
../FLAGS.md). Each argument is its own list item (no shell), so prompts with spaces or quotes pass
unchanged. A null value renders no flag and the trainer's default applies.
*/}}

{{- /*
Helm reads every number in a values file as float64, which toString prints in exponent form from
10^6 up ("--seed=2.0240101e+07"): whole numbers are printed as integers. Kubernetes expands $(VAR)
and folds $$ to $ inside args, so every $ is doubled to reach the trainer as written.
*/ -}}
{{- define "finetune.arg" -}}
- {{ replace "$" "$$" . | toJson }}
{{- end -}}

{{- define "finetune.flag" -}}
{{- $v := .value -}}
{{- if and (kindIs "float64" $v) (eq $v (float64 (int64 $v))) }}{{ $v = int64 $v }}{{ end -}}
{{- if not (kindIs "invalid" $v) }}
{{ include "finetune.arg" (printf "--%s=%s" .name (toString $v)) }}
{{- end -}}
{{- end -}}

{{- define "finetune.trainArgs" -}}
{{- $d := .Values.distributed -}}
{{- $t := $d.train -}}
{{- if or $d.doBenchmark $d.doQuantize -}}
{{- fail "distributed.doBenchmark and distributed.doQuantize are not supported by finetune.cpp: set them to false" -}}
{{- end -}}
{{- if not (or $t.datasetName $t.dataFile) -}}
{{- fail "distributed.train: set datasetName (a Hub dataset id) or dataFile (a file on the volume)" -}}
{{- end -}}
{{- /* Anything else is on the pod's emptyDir /tmp and is gone when the pod ends. */ -}}
{{- $volume := printf "%s/" (trimSuffix "/" .Values.storage.pvcMountPath) -}}
{{- range $name, $path := dict "distributed.train.outputDir" $t.outputDir "distributed.train.loggingDir" $t.loggingDir "distributed.train.dataFile" (ternary nil $t.dataFile (not (empty $t.datasetName))) -}}
{{- if and $path (not (hasPrefix $volume (toString $path))) -}}
{{- fail (printf "%s (%s) is not on the shared volume: it must lie under storage.pvcMountPath (%s), or it is lost with the pod" $name $path $volume) -}}
{{- end -}}
{{- end -}}
{{- $flags := list
  (list "model_name_or_path" $d.modelNameOrPath)
  (list "dataset_name" ($t.datasetName | default nil))
  (list "train_file" (ternary nil ($t.dataFile | default nil) (not (empty $t.datasetName))))
  (list "instruction_column_name" $t.instructionColumnName)
  (list "input_column_name" $t.inputColumnName)
  (list "output_column_name" $t.outputColumnName)
  (list "dataset_concatenation" $t.datasetConcatenation)
  (list "prompt_with_input" $t.promptWithInput)
  (list "prompt_without_input" $t.promptWithoutInput)
  (list "max_seq_length" $t.maxSeqLength)
  (list "per_device_train_batch_size" $t.perDeviceBatchSize)
  (list "per_device_eval_batch_size" $d.eval.perDeviceBatchSize)
  (list "gradient_accumulation_steps" $t.gradientAccumulationSteps)
  (list "learning_rate" $t.learningRate)
  (list "num_train_epochs" $t.epochs)
  (list "max_steps" $t.maxSteps)
  (list "seed" $t.seed)
  (list "do_train" $d.doTrain)
  (list "do_eval" $d.doEval)
  (list "validation_split_percentage" $d.eval.validationSplitPercentage)
  (list "output_dir" $t.outputDir)
  (list "resume_from_checkpoint" $t.resumeFromCheckpoint)
  (list "logging_dir" $t.loggingDir)
  (list "logging_steps" $t.loggingSteps)
  (list "save_strategy" $t.saveStrategy)
  (list "save_total_limit" $t.saveTotalLimit)
  (list "log_level" $d.logLevel)
  (list "use_lora" $t.useLora)
  (list "lora_rank" $t.loraRank)
  (list "lora_alpha" $t.loraAlpha)
  (list "lora_dropout" $t.loraDropout)
  (list "bf16" $t.bf16)
  (list "ddp_bucket_cap_mb" $t.ddpBucketCapMb)
  (list "dist_timeout" $t.distTimeout)
  (list "cache_dir" .Values.envVars.transformersCache)
  (list "overwrite_output_dir" $t.overwriteOutputDir)
  (list "use_fast_tokenizer" $t.useFastTokenizer)
  (list "ddp_find_unused_parameters" $t.ddpFindUnusedParameters)
  (list "ddp_backend" $t.ddpBackend)
  (list "no_cuda" $t.noCuda)
  (list "use_ipex" $t.useIpex)
-}}
{{- range $flags }}
{{- include "finetune.flag" (dict "name" (index . 0) "value" (index . 1)) }}
{{- end }}
{{- with $t.loraTargetModules }}
- "--lora_target_modules"
{{- $modules := kindIs "string" . | ternary (regexSplit "[\\s,]+" (trim (toString .)) -1) . }}
{{- range $modules }}
{{ include "finetune.arg" (toString .) }}
{{- end }}
{{- end }}
{{- range $d.extraArgs }}
{{ include "finetune.arg" . }}
{{- end }}
{{- end -}}
