#!/usr/bin/env python3
"""Checks finetune.cpp's Hugging Face outputs with the real peft and transformers packages.

  python3 tools/check_peft_outputs.py --base BASE_DIR --adapter ADAPTER_DIR
      [--merged MERGED_DIR] [--logits LOGITS.safetensors] [--tolerance 1e-4]

1. PeftModel.from_pretrained(AutoModelForCausalLM(BASE), ADAPTER) must load every tensor of
   adapter_model.safetensors (compared with what PEFT holds afterwards: PEFT itself silently leaves
   a missing tensor at its initial value) with r/alpha/targets from adapter_config.json.
2. With --merged: AutoModelForCausalLM(MERGED) must give PEFT's logits (the merge is right and
   transformers reads the merged directory, sharded or not).
3. With --logits (written by finetune.cpp's tests: input_ids [B,T] as F32, adapter_logits
   [B,T,V] and optionally merged_logits): finetune.cpp's logits must match PEFT's and the merged
   model's. Without it, seeded random ids are used.
Everything runs in float32 on CPU; max |difference| <= --tolerance (absolute, logits are O(1)).

Runs in the venv scripts/setup-python-tools.sh makes (Debian's torch + pinned transformers/peft);
exits 77 (ctest SKIP) when that venv cannot be made, 1 on any mismatch, 2 on bad arguments.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("FT_TOOLS_VENV", ROOT / ".venv-training"))
SKIP = 77


def ensure_venv():
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if subprocess.call([str(ROOT / "scripts" / "setup-python-tools.sh")]) != 0:
        print("SKIP: the peft/transformers venv could not be made (see above)")
        sys.exit(SKIP)
    python = str(VENV / "bin" / "python")
    os.execv(python, [python, __file__] + sys.argv[1:])


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="base model directory")
    p.add_argument("--adapter", required=True, help="adapter directory (PEFT layout)")
    p.add_argument("--merged", help="merged model directory (finetune merge)")
    p.add_argument("--logits", help="safetensors with finetune.cpp's input_ids and logits")
    p.add_argument("--tolerance", type=float, default=1e-4)
    return p.parse_args()


def load_causal_lm(transformers, torch, path):
    model = transformers.AutoModelForCausalLM.from_pretrained(
        path, torch_dtype=torch.float32, attn_implementation="eager")
    return model.eval()


def check_adapter_loaded(peft_model, adapter_dir, safetensors_torch):
    """Every stored tensor must equal what PEFT now holds; returns the count of non-zero B."""
    stored = safetensors_torch.load_file(str(Path(adapter_dir) / "adapter_model.safetensors"))
    held = {k.replace(".default.", "."): v for k, v in peft_model.state_dict().items() if "lora_" in k}
    problems = [f"{k} not loaded" for k in held if k not in stored]
    problems += [f"{k} is not a parameter of the PEFT model" for k in stored if k not in held]
    problems += [f"{k} differs after loading" for k in stored
                 if k in held and not bool((held[k].float() == stored[k].float()).all())]
    nonzero_b = sum(1 for k, v in stored.items() if "lora_B" in k and bool(v.abs().max() > 0))
    return problems, len(stored), nonzero_b


def max_diff(a, b):
    return float((a.float() - b.float()).abs().max())


def main():
    ensure_venv()
    args = parse_args()
    import peft
    import safetensors.torch as safetensors_torch
    import torch
    import transformers
    torch.manual_seed(0)

    base = load_causal_lm(transformers, torch, args.base)
    config = json.loads((Path(args.adapter) / "adapter_config.json").read_text())
    model = peft.PeftModel.from_pretrained(base, args.adapter).eval()
    problems, count, nonzero_b = check_adapter_loaded(model, args.adapter, safetensors_torch)
    print(f"peft {peft.__version__}, transformers {transformers.__version__}, torch {torch.__version__}: "
          f"adapter r={config['r']} alpha={config['lora_alpha']} targets={config['target_modules']}, "
          f"{count} tensors ({nonzero_b} non-zero lora_B)")
    if nonzero_b == 0:
        print("note: every lora_B is zero, so the logit comparisons cannot see the adapter")

    ours = safetensors_torch.load_file(args.logits) if args.logits else {}
    if "input_ids" in ours:
        ids = ours["input_ids"].round().long()
    else:
        ids = torch.randint(0, base.config.vocab_size, (2, 12))
    with torch.no_grad():
        reference = model(input_ids=ids).logits
        results = []
        if "adapter_logits" in ours:
            results.append(("finetune.cpp base+adapter vs PEFT", max_diff(ours["adapter_logits"], reference)))
        if args.merged:
            merged = load_causal_lm(transformers, torch, args.merged)(input_ids=ids).logits
            results.append(("transformers(merged dir) vs PEFT", max_diff(merged, reference)))
            if "merged_logits" in ours:
                results.append(("finetune.cpp merged vs transformers(merged dir)",
                                max_diff(ours["merged_logits"], merged)))
    for name, err in results:
        verdict = "ok" if err <= args.tolerance else "MISMATCH"
        print(f"{name}: max |diff| {err:.3g} (tolerance {args.tolerance:g}) {verdict}")
        if err > args.tolerance:
            problems.append(f"{name} differs by {err:.3g}")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
