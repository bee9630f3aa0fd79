# Multi-host communicator test in network namespaces (needs root): ctest -L netns. Skips (77)
# where namespaces cannot be created.
add_test(NAME dist_netns COMMAND ${CMAKE_SOURCE_DIR}/tests/dist_netns.sh $<TARGET_FILE:finetune_tests>)
set_tests_properties(dist_netns PROPERTIES LABELS netns SKIP_RETURN_CODE 77 TIMEOUT 120)
