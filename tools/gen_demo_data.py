#!/usr/bin/env python3
"""Writes demo/median.json: the instruction dataset `make demo` fine-tunes on.

Every record asks for the median of a short list of single-digit integers, so an answer can be
checked exactly and a model's progress is visible in a few minutes of training. Standard library
only; rerunnable (seeded): `python3 tools/gen_demo_data.py`.
"""
import json
import pathlib
import random

INSTRUCTION = "Calculate the median of the following list of integers."


def main():
    rng = random.Random(20261130)
    records = []
    for _ in range(3000):
        values = [rng.randrange(10) for _ in range(3)]
        records.append({"instruction": INSTRUCTION,
                        "input": ", ".join(map(str, values)),
                        "output": str(sorted(values)[1])})
    out = pathlib.Path(__file__).resolve().parent.parent / "demo" / "median.json"
    out.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    print(f"wrote {len(records)} records to {out}")


if __name__ == "__main__":
    main()
