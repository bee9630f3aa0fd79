// Hugging Face Hub client: turns a model or dataset name into local files. Local paths pass
// through; Hub ids (org/name) are downloaded with libcurl from HF_ENDPOINT into the
// huggingface_hub cache layout (shared with the Python tools), resumably and sha256-verified, under
// a file lock so concurrent processes on one volume download once. docs/hub.md has the details.
#pragma once
#include <string>

namespace ft::hub {

struct HubOptions {
  std::string revision = "main";
  bool show_progress = true;  // rank 0 only; plain lines when stderr is not a terminal
};

// A local directory is returned unchanged (after checking it exists). Otherwise `id` must look
// like a Hub repo id (org/name or name): config.json, *.safetensors (+ index), tokenizer files
// (tokenizer.json, tokenizer.model, tokenizer_config.json, special_tokens_map.json,
// generation_config.json) are fetched into the HF cache and the snapshot directory is returned.
// Errors: ft::Error with the reasons in the issue (gated 401/403, 404 id/revision, offline miss).
std::string resolve_model(const std::string& name_or_path, const HubOptions& options = {});

// The local data file of a Hub dataset repository (JSON/JSONL/CSV); `split` chooses among several
// files (by name match, e.g. "train"); an error lists the candidates when ambiguous.
std::string resolve_dataset_file(const std::string& dataset_name, const std::string& split,
                                 const HubOptions& options = {});

}  // namespace ft::hub
