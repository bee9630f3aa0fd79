#!/usr/bin/env python3
"""Writes tests/fixtures/training/<case>/: a few optimizer steps of the real transformers + peft +
torch stack from a fixed state, the reference for finetune.cpp's training step.

Rerunnable: `python3 tools/gen_training_reference.py` creates .venv-training on first use with
`/usr/bin/python3 -m venv --system-site-packages` (Debian's CPU-only torch 1.13 is used as is:
never pip-install torch), installs tools/requirements-transformers.txt and, with --no-deps,
tools/requirements-training.txt, then re-executes itself inside it. Same versions give the same
files.

Every case starts from tests/fixtures/tiny_models/llama_gqa_untied (fp32 weights; C 32, I 96, 2
layers, 4 heads, 2 kv heads, V 128) and runs what the Trainer runs per optimizer step:
  for each micro-batch: (sum of token losses / counted tokens of the whole step).backward()
  grad_norm = clip_grad_norm_(trainable, max_grad_norm); AdamW.step(); scheduler.step(); zero_grad
with torch.optim.AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0) and transformers' get_scheduler.
Labels are HF labels (the model shifts them); some are -100. LoRA dropout is 0.

Precision:
  fp32  the model in float32.
  bf16  what `Trainer --bf16` does on CPU: torch.autocast("cpu", bfloat16) around the forward, the
        fp32 model's matrices (embeddings, projections, lm_head) first rounded to bf16 (so the frozen
        weights equal finetune.cpp's bf16 copy; norms stay fp32), LoRA masters and AdamW state fp32.
        Autocast rounds each Linear's output to bf16 where finetune.cpp keeps fp32 accumulators, and
        runs LoRA matmuls in bf16 where finetune.cpp keeps them fp32: expect agreement to about 1e-2
        relative in the loss, not bit equality. `fp32_vs_bf16` records how far bf16 is from fp32.

Files per case:
  reference.json      format, case, precision, versions, model (fixture dir name), steps,
                      micro_batches, learning_rate, lr_scheduler_type, warmup_steps,
                      max_grad_norm, lora {rank, alpha, dropout, use_rslora, target_modules} or
                      null (full fine-tuning), batches [step][micro][ids|labels] ([B][T] ints),
                      per step: loss (mean over counted tokens of the step), grad_norm (before
                      clipping), lr (the rate the step used)
  initial.safetensors LoRA: the adapter before step 1 (PEFT keys; A as PEFT drew it, B zero), so
                      the C++ side starts from the same A without replicating torch's RNG
  final.safetensors   LoRA: the adapter after the last step; full: TRACKED_FULL tensors after it
"""
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-training"
OUT = ROOT / "tests" / "fixtures" / "training"
MODEL = "llama_gqa_untied"
MODEL_DIR = ROOT / "tests" / "fixtures" / "tiny_models" / MODEL
SEED = 20250602
BATCH, SEQ_LEN, VOCAB = 2, 16, 128
TRACKED_FULL = ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.1.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight",
                "model.norm.weight", "lm_head.weight"]

# name, precision, lora (None = full fine-tuning), steps, micro-batches, lr, schedule, warmup
CASES = [
    ("lora_qv_fp32", "fp32", dict(rank=4, alpha=8, use_rslora=False, target_modules=["q_proj", "v_proj"]),
     4, 1, 1e-2, "linear", 1),
    ("lora_qv_bf16", "bf16", dict(rank=4, alpha=8, use_rslora=False, target_modules=["q_proj", "v_proj"]),
     4, 1, 1e-2, "linear", 1),
    ("lora_all_rslora_accum_fp32", "fp32",
     dict(rank=4, alpha=8, use_rslora=True, target_modules="all-linear"), 3, 2, 5e-3, "cosine", 0),
    ("lora_all_rslora_accum_bf16", "bf16",
     dict(rank=4, alpha=8, use_rslora=True, target_modules="all-linear"), 3, 2, 5e-3, "cosine", 0),
    ("full_fp32", "fp32", None, 2, 1, 1e-3, "linear", 0),
    ("full_bf16", "bf16", None, 2, 1, 1e-3, "linear", 0),
]
MAX_GRAD_NORM = 1.0


def ensure_venv():
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not (VENV / "bin" / "python").exists():
        subprocess.check_call(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(VENV)])
        pip = str(VENV / "bin" / "pip")
        subprocess.check_call([pip, "install", "-q", "-r", str(ROOT / "tools" / "requirements-transformers.txt")])
        subprocess.check_call([pip, "install", "-q", "--no-deps", "-r",
                               str(ROOT / "tools" / "requirements-training.txt")])
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), __file__] + sys.argv[1:])


def make_batches(torch, steps, micro):
    """[step][micro] (ids, labels): random ids; a masked prompt in row 0, padding at the end of row 1."""
    g = torch.Generator().manual_seed(SEED)
    batches = []
    for _ in range(steps):
        per_step = []
        for m in range(micro):
            ids = torch.randint(3, VOCAB, (BATCH, SEQ_LEN), generator=g)
            labels = ids.clone()
            labels[0, :4 + m] = -100
            labels[1, SEQ_LEN - 3:] = -100
            per_step.append((ids, labels))
        batches.append(per_step)
    return batches


def load_model(torch, transformers, precision):
    model = transformers.AutoModelForCausalLM.from_pretrained(
        MODEL_DIR, torch_dtype=torch.float32, attn_implementation="eager")
    if precision == "bf16":
        with torch.no_grad():
            for param in model.parameters():
                if param.dim() == 2:
                    param.copy_(param.to(torch.bfloat16).to(torch.float32))
    return model


def token_loss_sum(torch, model, ids, labels, precision):
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
    with ctx:
        logits = model(input_ids=ids).logits
    targets = torch.cat([labels[:, 1:], torch.full((labels.shape[0], 1), -100)], dim=1)
    return torch.nn.functional.cross_entropy(logits.float().reshape(-1, VOCAB), targets.reshape(-1),
                                             ignore_index=-100, reduction="sum")


def run_case(torch, transformers, peft, case):
    name, precision, lora, steps, micro, lr, schedule, warmup = case
    torch.manual_seed(SEED)
    model = load_model(torch, transformers, precision)
    if lora is not None:
        config = peft.LoraConfig(r=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=0.0,
                                 use_rslora=lora["use_rslora"], target_modules=lora["target_modules"],
                                 bias="none", task_type="CAUSAL_LM", init_lora_weights=True)
        model = peft.get_peft_model(model, config)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    scheduler = transformers.get_scheduler(schedule, optimizer, num_warmup_steps=warmup,
                                           num_training_steps=steps)
    batches = make_batches(torch, steps, micro)
    initial = adapter_state(torch, peft, model) if lora is not None else None

    records = []
    for step in batches:
        counted = sum(int((labels[:, 1:] != -100).sum()) for _, labels in step)
        step_lr = scheduler.get_last_lr()[0]
        total = 0.0
        for ids, labels in step:
            loss = token_loss_sum(torch, model, ids, labels, precision) / counted
            loss.backward()
            total += loss.item()
        grad_norm = torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM).item()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        records.append({"loss": total, "grad_norm": grad_norm, "lr": step_lr})

    if lora is not None:
        final = adapter_state(torch, peft, model)
    else:
        state = model.state_dict()
        final = {k: state[k].detach().clone().contiguous() for k in TRACKED_FULL}
    return batches, initial, final, records


def adapter_state(torch, peft, model):
    state = peft.get_peft_model_state_dict(model)
    return {k: v.detach().to(torch.float32).clone().contiguous() for k, v in state.items()}


def versions(torch, transformers, peft):
    import safetensors
    return {"transformers": transformers.__version__, "peft": peft.__version__,
            "torch": torch.__version__, "safetensors": safetensors.__version__,
            "python": platform.python_version()}


def main():
    ensure_venv()
    import torch
    # torch 1.13 calls the scheduler base class _LRScheduler; transformers.optimization imports the
    # torch 2 name. Same class, so the real get_scheduler runs unchanged.
    if not hasattr(torch.optim.lr_scheduler, "LRScheduler"):
        torch.optim.lr_scheduler.LRScheduler = torch.optim.lr_scheduler._LRScheduler
    import peft
    import transformers
    from safetensors.torch import save_file

    torch.set_num_threads(1)  # deterministic reductions
    shutil.rmtree(OUT, ignore_errors=True)
    losses_by_case = {}
    for case in CASES:
        name, precision, lora, steps, micro, lr, schedule, warmup = case
        batches, initial, final, records = run_case(torch, transformers, peft, case)
        losses_by_case[name] = records
        out = OUT / name
        out.mkdir(parents=True)
        if initial is not None:
            save_file(initial, out / "initial.safetensors")
        save_file(final, out / "final.safetensors")
        reference = {
            "format": "finetune.cpp training reference v1",
            "case": name, "precision": precision, "versions": versions(torch, transformers, peft),
            "model": MODEL, "seed": SEED, "steps": steps, "micro_batches": micro,
            "learning_rate": lr, "lr_scheduler_type": schedule, "warmup_steps": warmup,
            "max_grad_norm": MAX_GRAD_NORM,
            "lora": None if lora is None else dict(lora, dropout=0.0),
            "batches": [[{"ids": ids.tolist(), "labels": labels.tolist()} for ids, labels in step]
                        for step in batches],
            "records": records,
        }
        if precision == "bf16":
            twin = losses_by_case[name.replace("_bf16", "_fp32")]
            reference["fp32_vs_bf16"] = {
                "max_abs_loss_diff": max(abs(a["loss"] - b["loss"]) for a, b in zip(twin, records)),
                "max_rel_grad_norm_diff": max(abs(a["grad_norm"] - b["grad_norm"]) / a["grad_norm"]
                                              for a, b in zip(twin, records))}
        (out / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
        print(name, [round(r["loss"], 5) for r in records], [round(r["grad_norm"], 4) for r in records])


if __name__ == "__main__":
    main()
