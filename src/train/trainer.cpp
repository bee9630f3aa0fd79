#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/fnv1a.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/progress.h"

namespace ft {

namespace {

std::vector<size_t> sequence_lengths(const std::vector<data::Sequence>& seqs) {
  std::vector<size_t> lengths;
  lengths.reserve(seqs.size());
  for (const auto& s : seqs) lengths.push_back(s.size());
  return lengths;
}

MicroBatch view_of(const data::Batch& b, int64_t tokens) {
  return {b.ids, b.labels, b.positions, b.segments, b.B, b.T, tokens};
}

// Equal trainable values on every rank is checked by comparing this (53 bits: exact in a double).
double fingerprint(std::span<const float> values) { return double(fnv1a(std::as_bytes(values)) >> 11); }

}  // namespace

Trainer::Trainer(Model& model, Trainable trainable, const data::PreparedDataset& data,
                 const TrainOptions& options, TrainContext context)
    : model_(model), trainable_(std::move(trainable)), data_(data), options_(options), ctx_(std::move(context)) {
  data::SamplerOptions so;
  so.seed = options_.seed;
  so.batch_size = static_cast<size_t>(options_.per_device_train_batch_size);
  so.group_by_length = options_.group_by_length;
  so.accumulation = static_cast<size_t>(options_.gradient_accumulation_steps);
  so.rank = ctx_.comm.rank();
  so.world_size = ctx_.comm.world_size();
  sampler_ = std::make_unique<data::BatchSampler>(sequence_lengths(data_.train), so);
  plan_ = plan_steps(options_, static_cast<int64_t>(sampler_->batches_per_epoch()));
  positions_ = StepPositions(static_cast<int64_t>(data_.train.size()), global_micro_batch(),
                             options_.gradient_accumulation_steps);

  StepOptions step;
  step.schedule = options_.lr_scheduler;
  step.learning_rate = options_.learning_rate;
  step.warmup_steps = plan_.warmup_steps;
  step.total_steps = plan_.total_steps;
  step.max_grad_norm = options_.max_grad_norm;
  step.adamw = options_.adamw;
  step.no_decay = trainable_.no_decay;
  step.bucket_floats = options_.ddp_bucket_cap_mb << 18;  // MiB of fp32
  step.layer_offsets = trainable_.layer_offsets;
  runner_ = std::make_unique<StepRunner>(model_, trainable_.values, trainable_.grads, step,
                                         trainable_.after_update, &ctx_.comm);
  model_.set_gradient_checkpointing(options_.gradient_checkpointing);
}

Trainer::~Trainer() = default;

void Trainer::note(const std::string& line) {
  if (progress_) progress_->print_line(line);
  else if (ctx_.note) ctx_.note(line);
}

void Trainer::report_end(const char* phase, int64_t step, const std::string& message) noexcept {
  try {
    report_status(phase, step, message);
  } catch (const std::exception&) {  // the disk that failed (or stopped) the run may refuse this too
  }
}

void Trainer::report_failure(const std::string& message) noexcept { report_end("failed", steps_done_, message); }

void Trainer::report_status(const char* phase, int64_t step, const std::string& message) {
  RunStatus s;
  s.message = message;
  s.phase = phase;
  s.step = step;
  s.total_steps = plan_.total_steps;
  s.epoch = epoch_at(step);
  s.last_loss = last_loss_;
  s.last_checkpoint = last_checkpoint_;
  s.elapsed_seconds = train_seconds_;
  if (progress_) {
    s.eta_seconds = progress_->eta_seconds();
    s.elapsed_seconds += progress_->elapsed_seconds();
  }
  ctx_.log.status(s);
}

double Trainer::epoch_at(int64_t steps_done) const { return positions_.epoch_progress(steps_done); }

int64_t Trainer::global_micro_batch() const {
  return options_.per_device_train_batch_size * ctx_.comm.world_size();
}

std::vector<MicroBatch> Trainer::micro_batches(int64_t step) {
  const auto epoch = static_cast<uint64_t>(positions_.before(step).epoch);
  batches_.clear();
  std::vector<int64_t> tokens;
  for (int64_t first : positions_.micro_batch_starts(step)) {
    std::vector<const data::Sequence*> rows;
    int64_t n = 0;
    for (size_t idx : sampler_->share(epoch, static_cast<size_t>(first))) {
      rows.push_back(&data_.train[idx]);
      n += static_cast<int64_t>(data_.train[idx].size());
    }
    batches_.push_back(rows.empty() ? data::Batch{} : data::collate(rows, ctx_.pad_id));
    tokens.push_back(n);
  }
  std::vector<MicroBatch> out;
  for (size_t i = 0; i < batches_.size(); ++i) out.push_back(view_of(batches_[i], tokens[i]));
  return out;
}

nlohmann::json Trainer::trainer_state(int64_t step) const {
  const int world = ctx_.comm.world_size();
  return {
      {"best_metric", nullptr},
      {"best_model_checkpoint", nullptr},
      {"epoch", epoch_at(step)},
      {"eval_steps", plan_.eval_interval},
      {"global_step", step},
      {"is_hyper_param_search", false},
      {"is_local_process_zero", true},
      {"is_world_process_zero", true},
      {"log_history", ctx_.log.history()},
      {"logging_steps", plan_.logging_interval},
      {"max_steps", plan_.total_steps},
      {"num_input_tokens_seen", tokens_seen_},
      {"num_train_epochs", (plan_.total_steps + plan_.steps_per_epoch - 1) / plan_.steps_per_epoch},
      {"save_steps", plan_.save_interval},
      {"total_flos", total_flos_},
      {"train_batch_size", options_.per_device_train_batch_size},
      {"trial_name", nullptr},
      {"trial_params", nullptr},
      {"finetune_cpp",
       {{"format", 1},
        {"global_step", step},
        {"world_size", world},
        {"per_device_train_batch_size", options_.per_device_train_batch_size},
        {"gradient_accumulation_steps", options_.gradient_accumulation_steps},
        {"micro_batches_per_epoch", plan_.micro_batches_per_epoch},
        {"total_steps", plan_.total_steps},
        {"seed", options_.seed},
        {"data_fingerprint", ctx_.data_fingerprint},
        {"sampler", {{"epoch", positions_.before(step).epoch}, {"consumed", positions_.before(step).consumed}}},
        {"window_loss", window_loss_},
        {"window_steps", window_steps_},
        {"total_loss", total_loss_},
        {"loss_steps", loss_steps_},
        {"tokens_seen", tokens_seen_},
        {"total_flos", total_flos_},
        {"train_seconds", train_seconds_}}},
  };
}

std::string Trainer::save(int64_t step, const std::string& reason) {
  if (ctx_.comm.rank() == 0) {
    report_status("saving", step);
    AdamW& opt = runner_->optimizer();
    const CheckpointData data{trainable_.values, opt.first_moment(), opt.second_moment(), trainer_state(step)};
    last_checkpoint_ = save_checkpoint(options_.output_dir, step, data,
                                       trainable_.save_model_in_checkpoints ? trainable_.save_model : nullptr);
    for (const RotatedCheckpoint& old : rotate_checkpoints(options_.output_dir, options_.save_total_limit))
      note(old.problem.empty()
               ? "deleted " + old.path + " (--save_total_limit " + std::to_string(options_.save_total_limit) + ")"
               : "warning: could not delete " + old.path + " for --save_total_limit (" + old.problem +
                     "); it still takes its space");
    note("saved " + last_checkpoint_ + " (" + reason + ")");
    report_status("training", step);  // out of "saving", naming the checkpoint just written
  }
  ctx_.comm.barrier();
  return last_checkpoint_;
}

void Trainer::reanchor(int64_t step, const nlohmann::json& saved, const std::string& state_file) {
  const nlohmann::json& at = saved.at("sampler");
  const int64_t sequences = static_cast<int64_t>(data_.train.size());
  // Checkpoints from before "consumed" existed name the first micro-batch of the step instead.
  const int64_t consumed =
      at.contains("consumed") ? at["consumed"].get<int64_t>()
                              : std::min(sequences, at.at("batch").get<int64_t>() *
                                                        saved.at("per_device_train_batch_size").get<int64_t>() *
                                                        saved.at("world_size").get<int64_t>());
  const DataPosition position{at.at("epoch").get<int64_t>(), consumed};
  if (step < 0 || position.epoch < 0 || consumed < 0 || consumed > sequences)
    fail_input(state_file, "the saved data position (epoch " + std::to_string(position.epoch) + ", sequence " +
                               std::to_string(consumed) + ") is outside the " + std::to_string(sequences) +
                               " training sequences; resume with the data of the run that wrote it");
  positions_ = StepPositions(sequences, global_micro_batch(), options_.gradient_accumulation_steps, step, position);
  const int64_t per_step = global_micro_batch() * options_.gradient_accumulation_steps;
  const int64_t saved_per_step = saved.at("per_device_train_batch_size").get<int64_t>() *
                                 saved.at("world_size").get<int64_t>() *
                                 saved.at("gradient_accumulation_steps").get<int64_t>();
  if (per_step != saved_per_step || saved.at("world_size") != ctx_.comm.world_size())
    note("re-sharding: the checkpoint was written with " + std::to_string(saved_per_step) +
         " sequences per step over " + saved.at("world_size").dump() + " ranks, this run takes " +
         std::to_string(per_step) + " over " + std::to_string(ctx_.comm.world_size()) +
         "; it continues at sequence " + std::to_string(position.consumed) + " of epoch " +
         std::to_string(position.epoch) + "'s order");
  if (options_.max_steps > 0) return;
  // An epoch-bounded run ends where the requested epochs of data end, at this run's batching.
  TrainOptions replanned = options_;
  replanned.max_steps = std::max<int64_t>(1, positions_.total_steps_for_epochs(options_.num_train_epochs));
  plan_ = plan_steps(replanned, plan_.micro_batches_per_epoch);
  runner_->set_schedule(LrSchedule(options_.lr_scheduler, options_.learning_rate, plan_.warmup_steps, plan_.total_steps));
}

std::string Trainer::resume(const std::string& from) {
  std::string dir = from;
  if (from == "auto") {
    std::vector<std::string> skipped;
    const auto newest = newest_complete_checkpoint(options_.output_dir, &skipped);
    for (const auto& s : skipped) note("ignoring incomplete checkpoint " + s);
    if (!newest) return "";
    dir = *newest;
  }
  const nlohmann::json state = load_checkpoint(dir, trainable_.values, runner_->optimizer().first_moment(),
                                               runner_->optimizer().second_moment());
  const std::string state_file = (std::filesystem::path(dir) / "trainer_state.json").string();
  try {
    const nlohmann::json& f = state.at("finetune_cpp");
    const int64_t step = f.at("global_step").get<int64_t>();
    reanchor(step, f, state_file);
    if (step < 0 || step > plan_.total_steps)
      fail_input(state_file, "global_step " + std::to_string(step) + " is outside this run's " +
                                 std::to_string(plan_.total_steps) + " steps; resume with the flags of the run that wrote it");
    const auto differs = [&](const char* key, const nlohmann::json& now) { return f.at(key) != now; };
    const bool regrouped = options_.group_by_length &&
                           (differs("per_device_train_batch_size", options_.per_device_train_batch_size) ||
                            differs("gradient_accumulation_steps", options_.gradient_accumulation_steps));
    if (regrouped || differs("seed", options_.seed) || differs("data_fingerprint", ctx_.data_fingerprint))
      note("warning: " + dir + " was written with another seed, data or length grouping; the resumed run "
                "continues from step " + std::to_string(step) + " but will not replay the original exactly");
    runner_->optimizer().set_steps(step);
    window_loss_ = f.at("window_loss").get<double>();
    window_steps_ = f.at("window_steps").get<int64_t>();
    total_loss_ = f.at("total_loss").get<double>();
    loss_steps_ = f.value("loss_steps", step);  // absent from checkpoints of older versions: no step skipped
    tokens_seen_ = f.at("tokens_seen").get<int64_t>();
    total_flos_ = f.value("total_flos", 0.0);  // absent from checkpoints of older versions
    train_seconds_ = f.at("train_seconds").get<double>();
    ctx_.log.restore_history(state.at("log_history"));
    if (trainable_.after_update) trainable_.after_update();
    last_checkpoint_ = dir;
  } catch (const nlohmann::json::exception& e) {
    fail_input(state_file, std::string("missing or malformed field: ") + e.what());
  }
  return dir;
}

void Trainer::check_finite_step(const StepRecord& rec, int64_t step) {
  if (!rec.skipped) {
    non_finite_steps_ = 0;
    return;
  }
  const auto describe = [](double x) {
    return std::isnan(x) ? std::string("NaN") : std::isinf(x) ? "infinite" : "finite";
  };
  const std::string what = "the loss is " + describe(rec.loss) + " and the gradient norm " + describe(rec.grad_norm);
  note("warning: step " + std::to_string(step) + ": " + what + "; its update was skipped");
  // A few in a row is no passing spike: the run would only write a useless adapter.
  if (++non_finite_steps_ < kMaxNonFiniteSteps) return;
  throw Error(kExitBadInput,
              "training stopped at step " + std::to_string(step) + ": " + what + " for " +
                  std::to_string(kMaxNonFiniteSteps) + " steps in a row; the model's weights or the data may hold "
                  "NaN or Inf values (finetune eval on the base model tells), or --learning_rate is too high" +
                  (last_checkpoint_.empty() ? "" : "; the last checkpoint is " + last_checkpoint_));
}

EvalResult Trainer::evaluate() {
  return evaluate_loss(model_, data_.eval, options_.per_device_eval_batch_size, ctx_.pad_id, ctx_.comm);
}

TrainResult Trainer::train() {
  if (plan_.micro_batches_per_epoch == 0)
    fail_usage("no training sequences: the training split is empty (check --train_file, "
               "--max_train_samples and --validation_split_percentage)");
  TrainResult result;
  int64_t start = 0;
  if (!options_.resume_from_checkpoint.empty()) {
    result.resumed_from = resume(options_.resume_from_checkpoint);
    if (!result.resumed_from.empty()) {
      start = runner_->optimizer().steps();
      note("resuming from " + result.resumed_from + " at step " + std::to_string(start) + " of " +
                std::to_string(plan_.total_steps));
    } else {
      note("no complete checkpoint in " + options_.output_dir + "; starting from step 0");
    }
  }
  result.total_steps = plan_.total_steps;  // a resume may have re-derived it
  if (ctx_.comm.world_size() > 1) {
    double check[2] = {fingerprint(trainable_.values), 0};
    double rank0 = ctx_.comm.rank() == 0 ? check[0] : 0;
    ctx_.comm.all_reduce_sum(std::span<double>(&rank0, 1));
    check[1] = rank0 == check[0] ? 0 : 1;
    ctx_.comm.all_reduce_sum(std::span<double>(&check[1], 1));
    if (check[1] != 0)
      fail_usage("the ranks start from different trainable values (different model files, adapter "
                 "or checkpoint per pod?); every rank must see the same --model_name_or_path and output_dir");
  }

  const bool rank0 = ctx_.comm.rank() == 0;
  Progress progress(plan_.total_steps, start, rank0);
  progress_ = &progress;
  ctx_.log.set_print([&](const std::string& line) { progress.print_line(line); });
  // Also when an error leaves: the caller then reports the failure, which read the bar's
  // destroyed object (status.json said step 0 and elapsed -53181 s).
  struct DetachProgress {
    Trainer& trainer;
    ~DetachProgress() {
      trainer.progress_ = nullptr;
      trainer.ctx_.log.set_print(nullptr);
    }
  } detach_progress{*this};
  int64_t last_saved = -1;
  bool interrupted = false;
  steps_done_ = start;
  report_status("training", start);
  for (int64_t step = start; step < plan_.total_steps; ++step) {
    const std::vector<MicroBatch> mbs = micro_batches(step);
    const StepRecord rec = runner_->step(mbs, options_.seed, static_cast<uint64_t>(step));
    const int64_t done = step + 1;
    steps_done_ = done;
    check_finite_step(rec, done);
    // A skipped step's loss (NaN or Inf) stays out of the averages: in total_loss it made every
    // later checkpoint's trainer_state unreadable (NaN is written as null).
    if (!rec.skipped) {
      window_loss_ += rec.loss;
      window_steps_ += 1;
      total_loss_ += rec.loss;
      loss_steps_ += 1;
      last_loss_ = rec.loss;
    }
    tokens_seen_ += rec.tokens;
    total_flos_ += 6.0 * double(rec.padded_tokens) * double(trainable_.flop_parameters);
    progress.update(done, rec.tokens);

    if (done % plan_.logging_interval == 0 || (options_.logging_first_step && done == 1)) {
      const double window_mean = window_steps_ > 0 ? window_loss_ / double(window_steps_) : std::nan("");
      ctx_.log.train({.step = done, .epoch = epoch_at(done), .loss = window_mean,
                      .learning_rate = runner_->schedule().lr(done), .grad_norm = rec.grad_norm,
                      .tokens_per_second = progress.tokens_per_second(),
                      .elapsed_seconds = train_seconds_ + progress.elapsed_seconds()});
      window_loss_ = 0;
      window_steps_ = 0;
      report_status("training", done);
    }
    const bool epoch_end = positions_.ends_epoch(step);
    const bool eval_due = options_.do_eval && !data_.eval.empty() &&
                          ((plan_.eval_interval > 0 && done % plan_.eval_interval == 0) ||
                           (options_.eval_strategy == IntervalStrategy::kEpoch && epoch_end));
    if (eval_due) {
      report_status("evaluating", done);
      ctx_.log.eval(done, epoch_at(done), evaluate());
    }
    if ((plan_.save_interval > 0 && done % plan_.save_interval == 0) ||
        (options_.save_strategy == IntervalStrategy::kEpoch && epoch_end)) {
      save(done, "save strategy " + std::string(interval_strategy_name(options_.save_strategy)));
      last_saved = done;
    }
    double stop = ctx_.stop_requested && ctx_.stop_requested->load() ? 1.0 : 0.0;
    if (ctx_.comm.world_size() > 1) ctx_.comm.all_reduce_sum(std::span<double>(&stop, 1));
    if (stop > 0 && done < plan_.total_steps) {
      if (last_saved != done) save(done, "stop requested");
      result.global_step = done;
      interrupted = true;
      break;
    }
  }
  if (!interrupted) result.global_step = plan_.total_steps;
  progress.finish();

  train_seconds_ += progress.elapsed_seconds();
  result.interrupted = interrupted;
  result.epoch = epoch_at(result.global_step);
  result.train_loss = loss_steps_ > 0 ? total_loss_ / double(loss_steps_) : 0.0;
  result.runtime = train_seconds_;
  result.total_flos = total_flos_;
  result.train_samples = static_cast<int64_t>(data_.train.size());
  result.last_checkpoint = last_checkpoint_;
  if (!interrupted) {
    const double samples = double(plan_.micro_batches_per_epoch) * double(options_.per_device_train_batch_size) *
                           double(ctx_.comm.world_size()) * result.epoch;
    ctx_.log.summary(result.global_step, result.epoch,
                     {{"train_runtime", result.runtime},
                      {"train_samples_per_second", result.runtime > 0 ? samples / result.runtime : 0.0},
                      {"train_steps_per_second", result.runtime > 0 ? double(result.global_step) / result.runtime : 0.0},
                      {"total_flos", result.total_flos},
                      {"train_loss", result.train_loss}});
  }
  return result;
}

}  // namespace ft
