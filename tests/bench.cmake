# The training benchmark script's planning (label `bench`): --dry-run prints what each side would
# run without building or running anything. bf16 alone on a CPU without AVX-512 leaves their side
# no dtype; the script used to exit there silently (pipefail on an empty grep).
find_program(FT_BASH bash REQUIRED)
add_test(NAME bench_script_plan_bf16_only
  COMMAND ${FT_BASH} ${CMAKE_SOURCE_DIR}/bench/run_training_bench.sh --dry-run --dtype bf16 --only tinyllama2)
set_tests_properties(bench_script_plan_bf16_only PROPERTIES LABELS bench TIMEOUT 60
  PASS_REGULAR_EXPRESSION "ours: tinyllama2, LoRA qv,all, dtype bf16, batch 8, seq 512\ntheirs: tinyllama2")

# The report's targets rest on the FMA peak. A reading taken while the host is slow used to make
# them too easy (a roofline GEMM at 112% of "peak", speed "met"); no GEMM outruns the FMA peak, so
# the report now takes the fastest roofline GEMM as the peak's lower bound.
find_program(FT_PYTHON3 python3)
# tools/bench_report.py on tests/fixtures/bench/<fixture>.jsonl; its output must match `pass` and
# must not match `fail` (when given). A property value is a CMake list, so a ';' in `pass` would
# split it into alternatives of which any one passes (an empty last one matches everything): each
# ';' becomes '.', which matches it.
function(ft_bench_report_test name fixture pass)
  add_test(NAME ${name}
    COMMAND ${FT_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/bench_report.py
            ${CMAKE_SOURCE_DIR}/tests/fixtures/bench/${fixture}.jsonl)
  string(REPLACE ";" "." pass "${pass}")
  set_tests_properties(${name} PROPERTIES LABELS bench TIMEOUT 60 PASS_REGULAR_EXPRESSION "${pass}")
  if(ARGC GREATER 3)
    set_tests_properties(${name} PROPERTIES FAIL_REGULAR_EXPRESSION "${ARGV3}")
  endif()
endfunction()
if(FT_PYTHON3)
  ft_bench_report_test(bench_report_peak_at_least_the_roofline fma_reading_below_gemm
    "the peak counts as 167.4\n[^\n]*speed 195.0 \\(fp32\\) vs target 203.4 NOT met")
  # AMX's native bf16 GEMMs do run above the FMA peak: they must not raise it.
  ft_bench_report_test(bench_report_amx_bf16_leaves_the_peak amx_bf16_above_fma_peak
    "targets \\(fp32 FMA peak 330.0[^\n]*\n  tinyllama2 qv prompt 0%: physical limit 534.7 tok/s"
    "peak counts as")
  # On AMX machines bench_train_step also measures the tile peak: the large GEMMs are held to it
  # (issue #9: "AMX where exposed"), and the physical limit is the faster unit's.
  ft_bench_report_test(bench_report_amx_peak_measured amx_peak_measured
    "AMX bf16 peak 6000.0, the best of 2\\):\n  tinyllama2 qv prompt 0%: physical limit 9722.7 tok/s; speed 512.0 \\(bf16\\) vs target 320.0 met;[^\n]*roofline GEMM 25% of the AMX peak NOT met")
  # Which GEMM engines ran (a run with FT_GEMM_ENGINE=amx against one by the rule) is in the report.
  ft_bench_report_test(bench_report_names_the_gemm_engines amx_peak_measured
    "ours:   [^\n]*amx_bf16; GEMM: oneDNN 2.6.3 \\(bf16 matmul available\\), bf16 runs natively, no OpenBLAS, FT_GEMM_ENGINE=amx;")
  # A bf16 GEMM on the tiles above every AMX reading raises the AMX peak, as fp32 ones do the FMA's.
  ft_bench_report_test(bench_report_amx_peak_at_least_the_bf16_roofline amx_reading_below_bf16_gemm
    "AMX peak counts as 1500.0\n[^\n]*physical limit 2430.7 tok/s;[^\n]*roofline GEMM 100% of the AMX peak met")
endif()
