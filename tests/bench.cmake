# The training benchmark script's planning (label `bench`): --dry-run prints what each side would
# run without building or running anything. bf16 alone on a CPU without AVX-512 leaves their side
# no dtype; the script used to exit there silently (pipefail on an empty grep).
find_program(FT_BASH bash REQUIRED)
add_test(NAME bench_script_plan_bf16_only
  COMMAND ${FT_BASH} ${CMAKE_SOURCE_DIR}/bench/run_training_bench.sh --dry-run --dtype bf16 --only tinyllama2)
set_tests_properties(bench_script_plan_bf16_only PROPERTIES LABELS bench TIMEOUT 60
  PASS_REGULAR_EXPRESSION "ours: tinyllama2, LoRA qv,all, dtype bf16, batch 8, seq 512\ntheirs: tinyllama2")
