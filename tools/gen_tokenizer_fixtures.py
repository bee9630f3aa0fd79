#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizers/*.json: reference encodings for the C++ tokenizers.

Rerunnable: `python3 tools/gen_tokenizer_fixtures.py` creates .venv-tokenizers (pinned versions from
tools/requirements-tokenizers.txt) on first use and re-executes itself inside it.

References (recorded in each fixture's "reference" field):
  * tokenizer.json files: the `tokenizers` package — Tokenizer.from_file(...).encode(text).ids with
    add_special_tokens=True, decode(ids, skip_special_tokens=True/False).
  * tokenizer.model files: transformers' slow LlamaTokenizer (legacy=True) for encode — the text is
    split at added/special tokens (so "<s>" in text becomes id 1) and each piece is encoded by
    sentencepiece, BOS prepended. Decode: sentencepiece decode_ids over each run of non-special ids,
    the special tokens' text kept between runs when not skipped.
Also trains two small tokenizers with `tokenizers` for shapes the real files lack (GPT-2-style
byte-level BPE with an lstrip/rstrip added token; Metaspace + byte_fallback BPE) and commits their
tokenizer.json next to the fixtures.
"""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-tokenizers"
OUT = ROOT / "tests" / "fixtures" / "tokenizers"
SHARED = ROOT.parent / "shared"


def ensure_venv():
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not (VENV / "bin" / "python").exists():
        subprocess.check_call(["/usr/bin/python3", "-m", "venv", str(VENV)])
        subprocess.check_call([str(VENV / "bin" / "pip"), "install", "-q", "-r",
                               str(ROOT / "tools" / "requirements-tokenizers.txt")])
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), __file__] + sys.argv[1:])


CORPUS = [
    "",
    "Hello",
    "Hello world",
    " Hello world",
    "  leading and trailing spaces  ",
    "Hello, world! How are you today?",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's what we've done, isn't it? I'D SAY SO. You'RE right.",
    "Numbers: 7 42 123 1234 12345 3.14159 1,000,000 and 98765432109876543210",
    "tabs\tand\t\tdouble tabs\nnew line\n\nblank line\r\nwindows line\n",
    "multiple     spaces    here   and\u00a0non-breaking\u2003em space",
    "Accents: café naïve résumé façade Ångström über straße",
    "Decomposed: cafe\u0301 nai\u0308ve A\u030angstro\u0308m",
    "中文分词测试：你好，世界！日本語のテキストです。한국어 텍스트",
    "العربية: مرحبا بالعالم، كيف حالك؟",
    "Русский текст и ελληνικά γράμματα",
    "हिन्दी पाठ और ไทย ภาษา",
    "Emoji: 😀 👍🏽 🇫🇷 👨‍👩‍👧‍👦 ❤️ 🧑‍💻",
    "def add(a, b):\n    return a + b  # sum\n\nprint(add(1, 2))\n",
    "for (int i = 0; i < n; ++i) { x[i] = y[i] * 2.0f; }",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "https://example.com/path?query=1&other=two#frag",
    "<s> starts with a special token",
    "special tokens </s> in the <s> middle <unk> here",
    "<|begin_of_text|>Hello<|eot_id|> <|start_header_id|>user<|end_header_id|>\n\nHi",
    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHi<|im_end|>",
    "<tool_call>{\"name\": \"f\"}</tool_call> <|endoftext|>",
    "almost special <|im_start but not quite |> and <s and /s>",
    "Supercalifragilisticexpialidocious" * 40,
    "a" * 3000,
    "x" + "ab" * 800 + "\u00e9" * 300,
    "1234567890" * 30,
    " " * 50 + "\n" * 10 + "\t" * 5,
    "Mixed\u200bzero\u200cwidth\u200djoiners and soft\u00adhyphen",
    "\u2581 already metaspace \u2581\u2581 chars and \u0120 byte-level chars \u010a",
    "Control chars: \x01\x02\x7f end",
    "<|extra|> custom added token next to<|extra|>words and <|extra|>",
    "\n",
    " ",
    "😀",
    "Ï",
]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def training_text():
    lines = []
    for i in range(300):
        for text in CORPUS[1:28]:
            lines.append(text if i % 3 else text.lower())
        lines.append(f"Item {i}: value {i * 37 % 1000} and total {i * i}.")
    return lines


def train_byte_level(path):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=800, min_frequency=2,
                                  special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(training_text(), trainer)
    tok.add_tokens([AddedToken("<|extra|>", lstrip=True, rstrip=True, normalized=False)])
    tok.save(str(path))


def train_metaspace_byte_fallback(path):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")
    tok.decoder = decoders.Sequence([decoders.ByteFallback(),
                                     decoders.Metaspace(replacement="\u2581", prepend_scheme="first")])
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=900, min_frequency=2, special_tokens=specials,
                                  limit_alphabet=120, show_progress=False)
    tok.train_from_iterator(training_text(), trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
    # Byte tokens belong to the model's vocabulary, not to the added tokens (as in converted Llama
    # files), so that byte fallback is what produces them.
    data = json.loads(tok.to_str())
    data["added_tokens"] = [t for t in data["added_tokens"] if not t["content"].startswith("<0x")]
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1))


def tokenizer_json_cases(path):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(path))
    cases = []
    for text in CORPUS:
        ids = tok.encode(text, add_special_tokens=True).ids
        cases.append({"text": text, "ids": ids,
                      "decoded": tok.decode(ids, skip_special_tokens=True),
                      "decoded_with_special": tok.decode(ids, skip_special_tokens=False)})
    return cases


def sentencepiece_cases(model_dir):
    import sentencepiece as spm
    from transformers import LlamaTokenizer
    model = Path(model_dir) / "tokenizer.model"
    if (Path(model_dir) / "tokenizer_config.json").exists():
        hf = LlamaTokenizer.from_pretrained(str(model_dir), legacy=True)
    else:
        hf = LlamaTokenizer(vocab_file=str(model), legacy=True)
    sp = spm.SentencePieceProcessor(model_file=str(model))
    special_ids = set(hf.all_special_ids)

    def decode(ids, skip):
        out, run = "", []
        for i in ids:
            if i in special_ids:
                out += sp.decode_ids(run)
                run = []
                if not skip:
                    out += hf.convert_ids_to_tokens(i)
            else:
                run.append(i)
        return out + sp.decode_ids(run)

    cases = []
    for text in CORPUS:
        ids = hf.encode(text)
        cases.append({"text": text, "ids": ids, "decoded": decode(ids, True),
                      "decoded_with_special": decode(ids, False)})
    return cases


def versions():
    import sentencepiece
    import tokenizers
    import transformers
    return {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
            "sentencepiece": sentencepiece.__version__}


def write(name, source, files, reference, cases):
    doc = {"name": name, "source": source, "reference": reference, "versions": versions(),
           "sha256": {f.name: sha256(f) for f in files}}
    head = json.dumps(doc, ensure_ascii=False, indent=1)[:-2]
    lines = ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in cases)
    (OUT / f"{name}.json").write_text(f'{head},\n "cases": [\n  {lines}\n ]\n}}\n')
    print(f"wrote {name}.json ({len(cases)} cases)")


def main():
    ensure_venv()
    OUT.mkdir(parents=True, exist_ok=True)
    json_ref = "tokenizers: Tokenizer.from_file(...).encode(text).ids; decode(ids, skip_special_tokens)"
    sp_ref = ("transformers LlamaTokenizer(legacy=True).encode(text); decode: sentencepiece "
              "decode_ids per run of non-special ids, special token text between runs unless skipped")

    trained = [("trained_byte_level", train_byte_level),
               ("trained_metaspace", train_metaspace_byte_fallback)]
    for name, train in trained:
        path = OUT / f"{name}.tokenizer.json"
        train(path)
        write(name, f"tests/fixtures/tokenizers/{path.name}", [path], json_ref,
              tokenizer_json_cases(path))

    if not SHARED.exists():
        print("../shared is missing: only the trained tokenizers were written")
        return
    for name in ["llama3", "qwen3", "mistral"]:
        path = SHARED / "tokenizers" / name / "tokenizer.json"
        write(name, f"../shared/tokenizers/{name}", [path], json_ref, tokenizer_json_cases(path))
    for name, d in [("llama2", SHARED / "tokenizers" / "llama2"),
                    ("stories260k", SHARED / "models" / "stories260k")]:
        write(name, f"../shared/{d.relative_to(SHARED)}", [d / "tokenizer.model"], sp_ref,
              sentencepiece_cases(d))


if __name__ == "__main__":
    main()
