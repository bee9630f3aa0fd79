# The two commands of the README: `make demo` and `make test`. Each sets up what it needs first.
JOBS ?= $(shell nproc)
BUILD := build
ASAN_BUILD := build-asan
# Lets ccache reuse objects across clones of the repository (CI builds in a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
# ctest -j runs several trainers at once on few cores: OpenMP threads that spin while waiting then
# steal each other's cores (a tiny model's step went from 0.15 s to 1 s). Sleeping waits avoid that.
export OMP_WAIT_POLICY ?= PASSIVE
# Whole training runs (many steps, several processes) run in the release suite only: under ASan a
# Debug trainer is ~20x slower, and their code paths are covered by the faster CLI tests there.
# MappedFileLimits sets an address-space limit, which ASan's reserved shadow memory cannot live under.
ASAN_SKIP := MappedFileLimits|SigkillAtARandomStep|SigtermCheckpoints|ResumeFromAnEarlier|TrainingWritesTheRun|TwoRanksFollow|AKilledRank|EvalCommandMatches|FourRanksFollow|ResumingAtAnotherWorldSize|TrainMemory.*Plan|TrainMemory.LoadingHolds

.PHONY: setup build build-asan test unit-asan demo bench clean

setup:
	@scripts/bootstrap.sh

build: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DFT_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFT_SANITIZE=ON -DFT_WERROR=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) --target finetune_tests finetune

# Unit tests under ASan+UBSan first, then the whole suite on the release build, so the last line
# printed is ctest's summary of the full suite.
test: build build-asan
	@FT_WITH_CHROMIUM=1 scripts/bootstrap.sh
	@scripts/setup-python-tools.sh || echo "make test: no peft/transformers venv; the peft_outputs_check test will be skipped"
	@echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest -L unit -LE slow -E '$(ASAN_SKIP)' --output-on-failure -j $(JOBS)
	@echo "== full suite (release build) =="
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh

# End-to-end LoRA training benchmark, ours against PyTorch (docs/performance.md); about 25 minutes.
# BENCH_ARGS=--quick smoke-tests it in a few minutes; see bench/run_training_bench.sh for flags.
bench: build
	@FT_BUILD_DIR=$(BUILD) bench/run_training_bench.sh $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
