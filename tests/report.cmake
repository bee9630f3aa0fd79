# Observability checks that need tools outside the C++ build (label `report`); each skips (77 or a
# gtest SKIP) when its tool is missing:
#   report_chromium       renders a `finetune report` page with headless Chromium (Debian's
#                         chromium, which make test installs) and checks the screenshot.
#   tfevents_tensorboard  reads TfEventsWriter's files with TensorBoard's own reader in a venv
#                         (tools/read_tfevents.py --setup creates it; 77 when offline).
find_package(PNG REQUIRED)  # the screenshot check in tests/report_test.cpp reads the PNG
target_link_libraries(finetune_tests PRIVATE PNG::PNG)
find_program(FT_BASH bash REQUIRED)

add_test(NAME report_chromium
  COMMAND ${FT_BASH} -c "command -v chromium >/dev/null || { echo 'chromium is not installed: skipped'; exit 77; }
    FT_REPORT_SCREENSHOT=1 exec \"$0\" --gtest_filter='ReportScreenshot.*'" $<TARGET_FILE:finetune_tests>)
set_tests_properties(report_chromium PROPERTIES
  LABELS report SKIP_RETURN_CODE 77 SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]" TIMEOUT 300)

add_test(NAME tfevents_tensorboard
  COMMAND ${FT_BASH} -c "/usr/bin/python3 \"$0/tools/read_tfevents.py\" --setup || exit 77
    FT_TENSORBOARD_READER=\"$0/tools/read_tfevents.py\" exec \"$1\" --gtest_filter='TfEventsTensorBoard.*'"
    ${CMAKE_SOURCE_DIR} $<TARGET_FILE:finetune_tests>)
set_tests_properties(tfevents_tensorboard PROPERTIES
  LABELS report SKIP_RETURN_CODE 77 SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]" TIMEOUT 900)
