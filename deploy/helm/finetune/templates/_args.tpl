{{/*
The trainer's flags after `finetune train`: one Hugging Face-named flag per value (see
../FLAGS.md). Each argument is its own list item (no shell), so prompts with spaces or quotes pass
unchanged. A null value renders no flag and the trainer's default applies.
*/}}

{{- define "finetune.flag" -}}
{{- if not (kindIs "invalid" .value) }}
- {{ printf "--%s=%s" .name (toString .value) | toJson }}
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
- {{ toString . | toJson }}
{{- end }}
{{- end }}
{{- end -}}
