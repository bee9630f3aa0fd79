# Kubernetes packaging checks (deploy/): helm lint and render, schema validation of the manifests,
# and the rendered trainer command run locally. Label `chart`; each test exits 77 (SKIP) when a tool
# or ../shared is missing, except that under CI=true a missing helm/kubeconform is a failure.
find_program(FT_BASH bash REQUIRED)
set(FT_CHART_TESTS_DIR ${CMAKE_SOURCE_DIR}/deploy/tests)
set(FT_CHART_ENV FT_BINARY=$<TARGET_FILE:finetune> FT_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared)

add_test(NAME chart_tools
  COMMAND ${CMAKE_COMMAND} -E env ${FT_CHART_ENV} ${FT_BASH} ${FT_CHART_TESTS_DIR}/chart_tools.sh)
set_tests_properties(chart_tools PROPERTIES LABELS chart FIXTURES_SETUP chart_tools TIMEOUT 1800)

foreach(check lint render validate dry_run local_job)
  add_test(NAME chart_${check}
    COMMAND ${CMAKE_COMMAND} -E env ${FT_CHART_ENV} ${FT_BASH} ${FT_CHART_TESTS_DIR}/chart_${check}.sh)
  set_tests_properties(chart_${check} PROPERTIES
    LABELS chart SKIP_RETURN_CODE 77 FIXTURES_REQUIRED chart_tools TIMEOUT 900)
endforeach()
