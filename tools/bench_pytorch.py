#!/usr/bin/env python3
"""The PyTorch side of bench/run_training_bench.sh: the same LoRA training steps as
bench/train_step.cpp, run by transformers' LlamaForCausalLM (random init from a LlamaConfig, no
download) + peft LoRA (r=8, alpha 16, dropout 0 on both sides), torch.optim.AdamW and a plain loop
(forward with labels, backward, clip to norm 1.0, step, zero_grad), as the Trainer would.
bf16 = torch.cpu.amp.autocast(dtype=bfloat16) over fp32 weights (the Transformers CPU training
guide's recipe); fp32 = no autocast. Attention: SDPA where this torch has
F.scaled_dot_product_attention, else transformers' eager attention (Debian's torch 1.13).
Each workload runs in a fresh subprocess so its peak RSS (ru_maxrss) is its own; torch threads =
cores. Prints one JSON line per result on stdout (kinds machine and train, engine "theirs").

  tools/bench_pytorch.py [--only tinyllama2,...] [--lora qv,all] [--dtype bf16,fp32]
                         [--batch 8] [--seq 512] [--steps N] [--warmup N] [--quick]
Run it with the venv of scripts/setup-python-tools.sh (transformers 4.49.0, peft 0.14.0).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

WORKLOADS = {  # hidden, intermediate, layers, heads, kv heads, vocab, tied (as bench/train_step.cpp)
    "tinyllama2": (2048, 5632, 2, 32, 4, 32000, False),
    "llama7b2": (4096, 11008, 2, 32, 32, 32000, False),
    "smollm2": (576, 1536, 30, 9, 3, 49152, True),
    "tiny": (64, 160, 2, 4, 2, 256, False),
}


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def blas_library():
    """The BLAS shared object this process mapped (torch's fp32 GEMMs outside oneDNN)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower()}
    return ", ".join(sorted(p for p in paths if p.startswith("/") and "libblas" in p)) or "none mapped"


def attention_impl(torch):
    return "sdpa" if hasattr(torch.nn.functional, "scaled_dot_product_attention") else "eager"


def run_one(args):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    hidden, inter, layers, heads, kv, vocab, tied = WORKLOADS[args.workload]
    config = LlamaConfig(hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv, vocab_size=vocab,
                         rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=tied,
                         max_position_embeddings=max(args.seq, 2048), use_cache=False)
    config._attn_implementation = attention_impl(torch)
    model = LlamaForCausalLM(config)
    targets = ["q_proj", "v_proj"] if args.lora_set == "qv" else "all-linear"
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0,
                                             target_modules=targets, task_type="CAUSAL_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    ids = torch.randint(0, vocab, (args.batch, args.seq))
    labels = ids.clone()
    labels[:, :args.seq * args.prompt // 100] = -100  # a masked prompt, as instruction data has
    bf16 = args.dtype_one == "bf16"
    seconds, loss = [], 0.0
    for s in range(args.warmup + args.steps):
        start = time.perf_counter()
        with torch.cpu.amp.autocast(enabled=bf16, dtype=torch.bfloat16):
            out = model(input_ids=ids, labels=labels)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t = time.perf_counter() - start
        loss = float(out.loss)
        print(f"  theirs {args.workload} {args.lora_set} {args.dtype_one} step {s + 1}: {t:.2f} s, "
              f"loss {loss:.4f}{' (warm-up)' if s < args.warmup else ''}", file=sys.stderr, flush=True)
        if s >= args.warmup:
            seconds.append(t)
    median = statistics.median(seconds)
    tokens = args.batch * args.seq
    print(json.dumps({
        "kind": "train", "engine": "theirs", "workload": args.workload, "lora": args.lora_set,
        "dtype": args.dtype_one, "batch": args.batch, "seq": args.seq, "steps": args.steps,
        "warmup": args.warmup, "prompt_pct": args.prompt, "step_s": median, "tokens_per_s": tokens / median,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "loss": loss, "load1": load1(), "attention": attention_impl(torch),
        "blas": blas_library(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "")}),
        flush=True)


def machine_line():
    import peft
    import torch
    import transformers
    torch.set_num_threads(os.cpu_count())
    torch.ones(64, 64) @ torch.ones(64, 64)  # maps the BLAS library
    return {"kind": "machine", "engine": "theirs", "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__,
            "threads": torch.get_num_threads(), "attention": attention_impl(torch),
            "cpu_capability": next((line.split(":", 1)[1].strip() for line in
                                    torch.__config__.show().splitlines()
                                    if "CPU capability usage" in line), ""),
            "mkldnn": torch.backends.mkldnn.is_available(), "blas": blas_library(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", ""),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", ""),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", ""), "load1": load1()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="tinyllama2,llama7b2,smollm2")
    p.add_argument("--lora", default="qv,all")
    p.add_argument("--dtype", default="bf16,fp32")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--prompt", type=int, default=0, help="mask the first PCT%% of every sequence's labels")
    p.add_argument("--quick", action="store_true", help="tiny shapes, batch 2, seq 32, 1 step")
    # One workload in this process (how the parent runs each child).
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--lora-set", help=argparse.SUPPRESS)
    p.add_argument("--dtype-one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.workload:
        run_one(args)
        return 0
    if args.quick:
        args.only, args.batch, args.seq, args.steps, args.warmup = "tiny", 2, 32, 1, 0
    for w in args.only.split(","):
        if w not in WORKLOADS:
            p.error(f"--only {w}: use one of {', '.join(WORKLOADS)}")
    print(json.dumps(machine_line()), flush=True)
    ok = True
    for w in args.only.split(","):
        for dt in args.dtype.split(","):
            for lora in args.lora.split(","):
                cmd = [sys.executable, __file__, "--workload", w, "--lora-set", lora, "--dtype-one", dt,
                       "--batch", str(args.batch), "--seq", str(args.seq), "--steps", str(args.steps),
                       "--warmup", str(args.warmup), "--prompt", str(args.prompt)]
                ok &= subprocess.run(cmd).returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
