#!/usr/bin/env python3
"""Writes tests/fixtures/tiny_models/<name>/: tiny random Llama-family models saved by the real
`transformers` (save_pretrained, safetensors) and the reference outputs of its PyTorch forward.

Rerunnable: `python3 tools/gen_tiny_models.py` creates .venv-transformers on first use with
`/usr/bin/python3 -m venv --system-site-packages` (Debian's CPU-only torch 1.13 and numpy 1.24 are
used as is: never pip-install torch), installs tools/requirements-transformers.txt, and re-executes
itself inside it. Same seeds and versions give byte-identical files.

Each model directory holds what save_pretrained writes (config.json, generation_config.json,
model.safetensors, or model-0000k-of-0000n.safetensors + model.safetensors.index.json) and
reference.json:

  format          "finetune.cpp tiny model reference v1"
  model, architecture, stored_dtype ("float32" | "bfloat16" | "float16"), seed, versions{...}
  batch B, seq_len T, vocab_size V
  input_ids       [B][T] ints, random with the seed
  labels          [B][T] HF labels: input_ids with labels[0][IGNORED_POS] = -100
  targets         [B][T] what position t predicts: labels[b][t+1]; -100 at t = T-1
  loss_convention one sentence: HF's shift-by-one causal LM loss, -100 ignored, mean over the rest
  fp32            {logits [B][T][V], losses [B][T] (0 where targets == -100), mean_loss}
                  from the stored weights loaded as float32, eager attention, model.eval()
  bf16            {logits, losses, mean_loss} of the same weights loaded as torch.bfloat16 (every
                  activation rounded to bf16; softmax in fp32 as HF does; loss on logits.float()),
                  plus max_abs_logit_diff / max_abs_loss_diff / mean_loss_diff against fp32
  fp64_check      max_abs_logit_diff / max_abs_loss_diff of fp32 against a float64 forward: the
                  reference's own fp32 rounding, the floor for any fp32 parity tolerance
  bf16_weights_check  max_abs_logit_diff against fp32 of an fp32 forward of bf16-rounded weights
Floats are written as the shortest decimal that reads back to the same float32.
"""
import json
import math
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-transformers"
OUT = ROOT / "tests" / "fixtures" / "tiny_models"
REQUIREMENTS = ROOT / "tools" / "requirements-transformers.txt"

BATCH, SEQ_LEN, VOCAB = 2, 16, 128
IGNORED_POS = 6  # labels[0][6] = -100, so targets[0][5] is ignored
BASE_SEED = 20250601


def ensure_venv():
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not (VENV / "bin" / "python").exists():
        subprocess.check_call(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(VENV)])
        subprocess.check_call([str(VENV / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)])
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), __file__] + sys.argv[1:])


def common_config(**overrides):
    config = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=96, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                  initializer_range=0.2, bos_token_id=1, eos_token_id=2, rms_norm_eps=1e-6,
                  attn_implementation="eager")
    config.update(overrides)
    return config


def model_specs(transformers, torch):
    """(name, model class, config class, config kwargs, stored dtype, save kwargs) per fixture."""
    llama3_scaling = dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                          original_max_position_embeddings=64)
    return [
        # GQA (4 query heads share 2 kv heads), separate lm_head.
        ("llama_gqa_untied", transformers.LlamaForCausalLM, transformers.LlamaConfig,
         common_config(tie_word_embeddings=False), torch.float32, {}),
        # head_dim 16 != hidden/heads = 8; llama3 rope scaling. With theta 5e5 and head_dim 16 the
        # wavelengths are 6.3, 32.5, 167, ... so against original_max 64 (bands at 16 and 64) one
        # frequency is kept, one smoothly interpolated and the rest divided by the factor.
        ("llama3_rope_tied", transformers.LlamaForCausalLM, transformers.LlamaConfig,
         common_config(head_dim=16, tie_word_embeddings=True, rope_theta=500000.0,
                       rope_scaling=llama3_scaling, rms_norm_eps=1e-5, eos_token_id=[2, 3]),
         torch.float32, {}),
        # Stored in float16 to cover that dtype too; sliding window like Mistral-7B-v0.1 (>> T).
        ("mistral", transformers.MistralForCausalLM, transformers.MistralConfig,
         common_config(tie_word_embeddings=False, sliding_window=4096, rope_theta=10000.0),
         torch.float16, {}),
        # q/k/v biases (re-randomised, non-zero), tied embeddings, theta 1e6, window unused.
        ("qwen2_bias", transformers.Qwen2ForCausalLM, transformers.Qwen2Config,
         common_config(tie_word_embeddings=True, rope_theta=1000000.0, use_sliding_window=False,
                       sliding_window=32768, max_window_layers=2),
         torch.float32, {}),
        # bf16 weights split over several shards with model.safetensors.index.json.
        ("llama_sharded_bf16", transformers.LlamaForCausalLM, transformers.LlamaConfig,
         common_config(tie_word_embeddings=False), torch.bfloat16, dict(max_shard_size="30KB")),
    ]


def randomise(model, torch, seed):
    """Replaces every parameter with seeded noise large enough that logits differ clearly:
    matrices N(0, 0.2), embeddings N(0, 0.3), norm weights 1 + N(0, 0.2), biases N(0, 0.2)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator, dtype=torch.float32)
            if "norm" in name:
                param.copy_(1.0 + 0.2 * noise)
            elif "embed_tokens" in name or "lm_head" in name:
                param.copy_(0.3 * noise)
            else:
                param.copy_(0.2 * noise)


def float32_list(array):
    """Nested lists of floats whose repr is the shortest decimal that reads back as the same float32."""
    import numpy as np
    flat = [float(repr(np.float32(x)).replace("np.float32(", "").rstrip(")")) for x in array.ravel()]
    return np.array(flat, dtype=object).reshape(array.shape).tolist()


def run_reference(model_dir, dtype, input_ids, labels, torch, transformers, round_weights_to=None):
    """Logits [B,T,V], per-token losses [B,T] (0 where ignored) and HF's mean loss, all as float64
    numpy arrays, for the stored weights loaded in `dtype`."""
    model = transformers.AutoModelForCausalLM.from_pretrained(
        model_dir, torch_dtype=dtype, attn_implementation="eager").eval()
    if round_weights_to is not None:
        with torch.no_grad():
            for param in model.parameters():
                param.copy_(param.to(round_weights_to).to(dtype))
    with torch.no_grad():
        out = model(input_ids=input_ids, labels=labels)
    logits = out.logits.float() if dtype != torch.float64 else out.logits
    targets = torch.cat([labels[:, 1:], torch.full((labels.shape[0], 1), -100)], dim=1)
    losses = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100,
        reduction="none").reshape(targets.shape)
    valid = targets != -100
    own_mean = (losses.sum() / valid.sum()).item()
    if not math.isclose(own_mean, out.loss.item(), rel_tol=1e-5, abs_tol=1e-6):
        raise SystemExit(f"{model_dir}: per-token losses average {own_mean}, HF loss {out.loss.item()}")
    return logits.double().numpy(), losses.double().numpy(), out.loss.item(), targets


def versions(torch, transformers):
    import numpy
    import safetensors
    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "safetensors": safetensors.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def generate(index, spec, torch, transformers):
    name, model_class, config_class, config_kwargs, stored_dtype, save_kwargs = spec
    seed = BASE_SEED + index
    model_dir = OUT / name
    shutil.rmtree(model_dir, ignore_errors=True)

    torch.manual_seed(seed)
    model = model_class(config_class(**config_kwargs)).eval()
    randomise(model, torch, seed)
    model.to(stored_dtype).save_pretrained(model_dir, safe_serialization=True, **save_kwargs)

    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(0, VOCAB, (BATCH, SEQ_LEN), generator=generator)
    labels = input_ids.clone()
    labels[0, IGNORED_POS] = -100

    fp32_logits, fp32_losses, fp32_mean, targets = run_reference(
        model_dir, torch.float32, input_ids, labels, torch, transformers)
    bf16_logits, bf16_losses, bf16_mean, _ = run_reference(
        model_dir, torch.bfloat16, input_ids, labels, torch, transformers)
    fp64_logits, fp64_losses, _, _ = run_reference(
        model_dir, torch.float64, input_ids, labels, torch, transformers)
    bf16w_logits, _, _, _ = run_reference(
        model_dir, torch.float32, input_ids, labels, torch, transformers,
        round_weights_to=torch.bfloat16)

    def max_diff(a, b):
        return float(abs(a - b).max())

    reference = {
        "format": "finetune.cpp tiny model reference v1",
        "generator": "tools/gen_tiny_models.py",
        "model": name,
        "architecture": model_class.__name__,
        "stored_dtype": str(stored_dtype).replace("torch.", ""),
        "seed": seed,
        "versions": versions(torch, transformers),
        "batch": BATCH,
        "seq_len": SEQ_LEN,
        "vocab_size": VOCAB,
        "input_ids": input_ids.tolist(),
        "labels": labels.tolist(),
        "targets": targets.tolist(),
        "loss_convention": "HF causal LM: logits at position t are scored against labels[t+1] "
                           "(targets[t]); targets of -100 (the last position, and the one "
                           "ignored label) give loss 0 and are excluded; mean_loss is the sum of "
                           "the remaining per-token cross-entropies divided by their count",
        "fp32": {"logits": float32_list(fp32_logits), "losses": float32_list(fp32_losses),
                 "mean_loss": fp32_mean},
        "bf16": {"logits": float32_list(bf16_logits), "losses": float32_list(bf16_losses),
                 "mean_loss": bf16_mean,
                 "max_abs_logit_diff": max_diff(bf16_logits, fp32_logits),
                 "max_abs_loss_diff": max_diff(bf16_losses, fp32_losses),
                 "mean_loss_diff": abs(bf16_mean - fp32_mean)},
        "fp64_check": {"max_abs_logit_diff": max_diff(fp64_logits, fp32_logits),
                       "max_abs_loss_diff": max_diff(fp64_losses, fp32_losses)},
        "bf16_weights_check": {"max_abs_logit_diff": max_diff(bf16w_logits, fp32_logits)},
    }
    (model_dir / "reference.json").write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    size = sum(f.stat().st_size for f in model_dir.iterdir())
    print(f"{name}: {size / 1024:.0f} KiB, |logits| max {abs(fp32_logits).max():.2f}, "
          f"mean loss {fp32_mean:.4f}, fp32-fp64 {reference['fp64_check']['max_abs_logit_diff']:.2e}, "
          f"bf16-fp32 {reference['bf16']['max_abs_logit_diff']:.3f} "
          f"(weights only {reference['bf16_weights_check']['max_abs_logit_diff']:.3f}), "
          f"bf16 loss {reference['bf16']['max_abs_loss_diff']:.3f}")


def main():
    ensure_venv()
    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # one summation order, whatever the machine
    OUT.mkdir(parents=True, exist_ok=True)
    for index, spec in enumerate(model_specs(transformers, torch)):
        generate(index, spec, torch, transformers)


if __name__ == "__main__":
    main()
