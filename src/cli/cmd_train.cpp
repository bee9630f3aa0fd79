// `finetune train`: the job a reference `finetune.py` run performs, end to end. Flags (or a config
// file) → launch contract and communicator → model and dataset (local or Hub) → tokenized, split
// and packed data → the output-directory decision (fresh, resume, or refuse to clobber) → the plan
// (printed alone with --dry_run) → training with logs, evaluation and checkpoints → the adapter (or
// full model), tokenizer files and Trainer-style JSON results in --output_dir.
// SIGTERM (Kubernetes stopping the pod) checkpoints and exits 143 so the restart resumes.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/flag_values.h"
#include "cli/memory_report.h"
#include "cli/run_setup.h"
#include "cli/train_flags.h"
#include "core/error.h"
#include "core/stop_signals.h"
#include "core/fnv1a.h"
#include "core/process_memory.h"
#include "formats/atomic_file.h"
#include "formats/hf_files.h"
#include "model/hf_writer.h"
#include "model/memory_estimate.h"
#include "model/peft_adapter.h"
#include "train/checkpoint.h"
#include "train/full_finetune.h"
#include "train/output_dir.h"
#include "train/trainer.h"

namespace ft::cli {
namespace {
namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};


std::string default_logging_dir(const std::string& output_dir) {
  char stamp[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%b%d_%H-%M-%S", std::localtime(&now));
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  return (fs::path(output_dir) / "runs" / (std::string(stamp) + "_" + host)).string();
}

nlohmann::json flag_values_json(const CLI::App& app) {
  nlohmann::json args = nlohmann::json::object();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_lnames().empty()) continue;
    const std::string name = opt->get_lnames().front();
    if (opt->count() == 0) {
      args[name] = opt->get_default_str();
      continue;
    }
    std::string joined;
    for (const std::string& v : opt->results()) joined += (joined.empty() ? "" : " ") + v;
    args[name] = joined;
  }
  return args;
}

void print_plan(const RunSetup& s, const ResolvedTrain& r, const StepPlan& plan, const ModelConfig& c,
                const MemoryPlan& m, const TrainShape& shape) {
  const auto& d = *s.dataset;
  const int64_t B = r.train.per_device_train_batch_size;
  std::printf("plan:\n  model: %s (%s, %d layers, hidden %d, vocab %d), weights in %s\n",
              s.model_dir.c_str(), c.model_type.c_str(), c.num_hidden_layers, c.hidden_size, c.vocab_size,
              r.bf16 ? "bf16" : "fp32");
  if (r.use_lora)
    std::printf("  LoRA: r=%d alpha=%g dropout=%g, %lld trainable parameters\n", r.lora.rank, r.lora.alpha,
                r.lora.dropout, static_cast<long long>(m.trainable_params));
  else
    std::printf("  full fine-tuning: %lld trainable parameters\n", static_cast<long long>(m.trainable_params));
  std::printf("  data: %zu train records -> %zu sequences (%zu tokens, %zu trained), %zu validation records\n",
              d.train_stats.records, d.train.size(), d.train_stats.tokens, d.train_stats.trained_tokens,
              d.eval_stats.records);
  std::printf("  steps: %lld optimizer steps (%lld per epoch; %lld micro-batches of %lld x %d processes, "
              "accumulation %lld), warmup %lld\n",
              static_cast<long long>(plan.total_steps), static_cast<long long>(plan.steps_per_epoch),
              static_cast<long long>(plan.micro_batches_per_epoch), static_cast<long long>(B), s.comm->world_size(),
              static_cast<long long>(r.train.gradient_accumulation_steps), static_cast<long long>(plan.warmup_steps));
  print_memory_plan(m, shape);
}

void write_results(const std::string& dir, const char* name, const nlohmann::json& j) {
  write_file_atomic((fs::path(dir) / name).string(), j.dump(4) + "\n");
}

void finish_run(Trainer& trainer, const Trainable& trainable, const RunSetup& s, const ResolvedTrain& r,
                const TrainOptions& options, RunLog& log) {
  const bool rank0 = s.comm->rank() == 0;
  const auto say = [&](const std::string& line) {
    if (rank0) std::printf("%s\n", line.c_str()), std::fflush(stdout);
  };
  nlohmann::json all_results = nlohmann::json::object();
  double epoch = 0;
  if (options.do_train) {
    const TrainResult result = trainer.train();
    if (result.interrupted) {
      // A rank stops with the others when any of them was signalled (the stop is all-reduced):
      // without a signal of its own it exits as if SIGTERMed (it was 128), and only rank 0 knows
      // the checkpoint's path.
      const int own = g_signal.load(), sig = own ? own : SIGTERM;
      const std::string cause = own ? std::string("stopped by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM")
                                    : std::string("stopped with a rank that was signalled");
      const std::string where = rank0 && !result.last_checkpoint.empty() ? result.last_checkpoint
                                                                         : "the newest checkpoint in --output_dir";
      const std::string message = cause + " at step " + std::to_string(result.global_step) + "; " + where +
                                  " holds the state and a restart with --resume_from_checkpoint auto continues from it";
      trainer.report_end("stopped", result.global_step, message);
      throw Error(128 + sig, message);
    }
    epoch = result.epoch;
    if (rank0) {
      trainable.save_model(options.output_dir);
      copy_side_files(s.model_dir, options.output_dir, tokenizer_file_names());
      const nlohmann::json train_results = {
          {"epoch", result.epoch}, {"total_flos", result.total_flos}, {"train_loss", result.train_loss},
          {"train_runtime", result.runtime}, {"train_samples", result.train_samples},
          {"train_steps_per_second", result.runtime > 0 ? double(result.global_step) / result.runtime : 0.0}};
      write_results(options.output_dir, "train_results.json", train_results);
      all_results.update(train_results);
      write_results(options.output_dir, "trainer_state.json", trainer.trainer_state(result.global_step));
      say("saved the " + std::string(r.use_lora ? "adapter" : "model") + " to " + options.output_dir);
    }
  }
  if (options.do_eval) {
    trainer.report_status("evaluating", options.do_train ? trainer.plan().total_steps : 0);
    const EvalResult e = trainer.evaluate();
    log.eval(options.do_train ? trainer.plan().total_steps : 0, epoch, e);
    if (rank0) {
      const nlohmann::json eval_results = {
          {"epoch", epoch}, {"eval_loss", e.loss}, {"eval_runtime", e.runtime}, {"eval_samples", e.samples},
          {"eval_tokens", e.tokens}, {"perplexity", e.perplexity},
          {"eval_samples_per_second", e.runtime > 0 ? double(e.samples) / e.runtime : 0.0}};
      write_results(options.output_dir, "eval_results.json", eval_results);
      all_results.update(eval_results);
    }
  }
  if (rank0) {
    write_results(options.output_dir, "all_results.json", all_results);
    trainer.report_status("completed", options.do_train ? trainer.plan().total_steps : 0);
  }
}

// Ranks started with different flags trained apart silently (another learning rate or batch) or
// failed later as if the network had (another --max_steps): every rank compares its flags' hash
// with rank 0's, and all of them stop when any differs.
void check_ranks_share_flags(const CLI::App& cmd, dist::Communicator& comm) {
  if (comm.world_size() == 1) return;
  const std::string text = flag_values_json(cmd).dump();
  const uint64_t own = fnv1a(std::as_bytes(std::span(text.data(), text.size())));
  uint64_t first = own;
  comm.broadcast(std::as_writable_bytes(std::span(&first, 1)), 0);
  double differing = first != own ? 1.0 : 0.0;
  comm.all_reduce_sum(std::span(&differing, 1));
  if (differing > 0)
    fail_usage(std::to_string(static_cast<int>(differing)) + " of " + std::to_string(comm.world_size()) +
               " ranks were started with flags other than rank 0's (compare the pods' command lines, or "
               "run_config.json's args): start every rank with the same flags");
}

void run_train(const CLI::App& cmd, const TrainFlags& flags) {
  reject_unknown_flags(cmd);
  const ResolvedTrain r = resolve_train_flags(flags);
  check_directory_flag("--output_dir", r.train.output_dir);
  const int64_t baseline = measure_runtime_baseline(r.bf16);
  RunSetup s = open_run(flags.model, r.data, flags.dry_run ? dist::LaunchInfo{} : dist::detect_launch(),
                        flags.dist_timeout);
  check_ranks_share_flags(cmd, *s.comm);
  const bool rank0 = s.comm->rank() == 0;
  const auto say = [&](const std::string& line) {
    if (rank0) std::printf("%s\n", line.c_str()), std::fflush(stdout);
  };
  for (const auto& n : r.notes) say(n);
  for (const auto& n : s.notes) say(n);
  const data::PreparedDataset& data = *s.dataset;
  for (const auto& [wanted, train_split] : {std::pair{r.train.do_train, true}, {r.train.do_eval, false}})
    if (const std::string why = data::empty_split_reason(r.data, data, train_split); wanted && !why.empty())
      fail_usage(std::string(train_split ? "" : "--do_eval: ") + why);

  TrainOptions options = r.train;
  // A run's files (and --overwrite_output_dir's clean-up) would replace the model's own.
  if (std::error_code ec; fs::equivalent(options.output_dir, s.model_dir, ec))
    fail_usage("--output_dir " + options.output_dir + " is the model directory (--model_name_or_path); "
               "give the run a directory of its own");
  std::optional<OutputDirLock> lock;
  if (rank0 && !flags.dry_run) lock.emplace(options.output_dir);
  const OutputDirDecision decision = decide_output_dir(options.output_dir, options.resume_from_checkpoint,
                                                       options.overwrite_output_dir, options.do_train);
  options.resume_from_checkpoint = decision.resume_from;
  say(decision.note);

  const ModelConfig config = load_model_config((fs::path(s.model_dir) / "config.json").string());
  if (const std::string note = position_limit_note(r.data.max_seq_length, config); !note.empty()) say(note);
  const TrainShape shape = run_train_shape(r, data);
  const MemoryPlan memory = plan_run_memory(config, shape, baseline, resident_bytes());
  if (flags.dry_run) {
    data::SamplerOptions so;
    so.batch_size = size_t(options.per_device_train_batch_size);
    std::vector<size_t> lengths(data.train.size(), 1);
    const data::BatchSampler sampler(lengths, so);
    print_plan(s, r, plan_steps(options, int64_t(sampler.batches_per_epoch())), config, memory, shape);
    check_plan_fits(memory, memory_limit_bytes());
    say("dry run: flags, model, tokenizer and data are valid; nothing was trained");
    return;
  }
  check_plan_fits(memory, memory_limit_bytes());
  if (rank0 && decision.clear_previous) clear_previous_run(options.output_dir);

  Model model = Model::load(s.model_dir, r.bf16 ? DType::BF16 : DType::F32);
  std::unique_ptr<LoraWeights> lora;
  std::unique_ptr<FullFinetune> full;
  Trainable trainable;
  if (r.use_lora) {
    lora = std::make_unique<LoraWeights>(model.config(), r.lora);
    lora->init(options.seed);
    model.attach_lora(lora.get());
    trainable = {lora->values(), lora->grads(), {},
                 [&](const std::string& dir) { save_peft_adapter(dir, *lora, flags.model.model_name_or_path); },
                 /*save_model_in_checkpoints=*/true, {}, lora->layer_offsets()};
  } else {
    full = std::make_unique<FullFinetune>(model);
    trainable = {full->values(), full->grads(), [&] { full->sync_model(); },
                 [&](const std::string& dir) {
                   save_hf_weights(dir, model.config(), full->fp32_weights(), s.model_dir, DType::F32);
                 },
                 /*save_model_in_checkpoints=*/false, full->vector_ranges(), full->layer_offsets()};
  }

  trainable.flop_parameters = config.parameter_count() -
                              int64_t{config.vocab_size} * config.hidden_size +
                              (r.use_lora ? static_cast<int64_t>(trainable.values.size()) : 0);
  if (rank0) fs::create_directories(options.output_dir);
  const std::string tb_dir = !options.report_tensorboard ? ""
                             : options.logging_dir.empty() ? default_logging_dir(options.output_dir)
                                                           : options.logging_dir;
  RunLog log(rank0, options.output_dir, tb_dir, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (rank0) {
    nlohmann::json run = {{"args", flag_values_json(cmd)},
                          {"model", {{"name_or_path", flags.model.model_name_or_path},
                                     {"directory", s.model_dir},
                                     {"parameters", config.parameter_count()},
                                     {"trainable_parameters", trainable.values.size()},
                                     {"dtype", r.bf16 ? "bf16" : "fp32"}}},
                          {"data", dataset_summary(data)},
                          {"world_size", s.comm->world_size()}};
    write_results(options.output_dir, "run_config.json", run);
  }
  on_stop_signal([](int sig) {  // a second signal stops at once
    g_signal.store(sig);
    g_stop.store(true);
  });
  Trainer trainer(model, trainable, data, options,
                  {*s.comm, log, &g_stop, s.pad_id, data::fingerprint(data), say});
  if (!options.do_train) options.resume_from_checkpoint.clear();
  if (options.do_train) model.reserve_training(shape.batch, shape.seq);
  if (rank0) print_memory_plan(memory, shape);

  try {
    finish_run(trainer, trainable, s, r, options, log);
  } catch (const Error& e) {
    if (e.exit_code() < 128) trainer.report_failure(e.what());
    throw;
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("train", "Fine-tune a model (LoRA or full) on an instruction dataset");
  cmd->allow_extras();
  auto flags = std::make_shared<TrainFlags>();
  add_train_flags(*cmd, *flags);
  cmd->callback([cmd, flags] { run_train(*cmd, *flags); });
}

}  // namespace ft::cli
