# The real-package check of the PEFT adapter and merged-model outputs (label `peft`): the C++
# fixture test writes an adapter, a merged model and finetune.cpp's logits into the build tree,
# then tools/check_peft_outputs.py loads them with peft/transformers and compares logits; a second
# check does the same for the adapter a real `finetune train` run wrote and its `finetune merge`. The
# script exits 77 (SKIP) when its venv (scripts/setup-python-tools.sh) cannot be made.
set(FT_PEFT_CHECK_DIR ${CMAKE_BINARY_DIR}/peft_check)
add_test(NAME peft_outputs_write
  COMMAND ${CMAKE_COMMAND} -E env FT_PEFT_CHECK_DIR=${FT_PEFT_CHECK_DIR}
          $<TARGET_FILE:finetune_tests> --gtest_filter=PeftCheckOutputs.*)
set_tests_properties(peft_outputs_write PROPERTIES LABELS peft FIXTURES_SETUP peft_outputs)

find_program(FT_PYTHON3 python3)
if(FT_PYTHON3)
  add_test(NAME peft_outputs_check
    COMMAND ${FT_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/check_peft_outputs.py
            --base ${CMAKE_SOURCE_DIR}/tests/fixtures/tiny_models/llama_gqa_untied
            --adapter ${FT_PEFT_CHECK_DIR}/adapter --merged ${FT_PEFT_CHECK_DIR}/merged
            --logits ${FT_PEFT_CHECK_DIR}/finetune_logits.safetensors)
  set_tests_properties(peft_outputs_check PROPERTIES
    LABELS peft FIXTURES_REQUIRED peft_outputs SKIP_RETURN_CODE 77 TIMEOUT 900)
  add_test(NAME peft_trained_adapter_check
    COMMAND ${FT_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/check_peft_outputs.py
            --base ${FT_PEFT_CHECK_DIR}/trained/base --adapter ${FT_PEFT_CHECK_DIR}/trained/output
            --merged ${FT_PEFT_CHECK_DIR}/trained/merged)
  set_tests_properties(peft_trained_adapter_check PROPERTIES
    LABELS peft FIXTURES_REQUIRED peft_outputs SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()
