#!/usr/bin/env python3
"""Generates the reference outputs the C++ chat-template renderer is compared against.

Renders with transformers' own template compiler (`transformers.utils.chat_template_utils.
_compile_jinja_template`: jinja2's ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks,
loopcontrols, raise_exception, strftime_now and transformers' tojson) and the keyword arguments
`PreTrainedTokenizerBase.apply_chat_template` passes (messages, tools, documents=None,
add_generation_prompt, bos_token, eos_token, extra kwargs). No torch is needed.

Writes tests/fixtures/chat_templates/conversations.json (whole templates on several
conversations) and snippets.json (small templates, one construct each). The llama3 / qwen3
templates are read from ../shared and only their inputs and outputs are stored.

Rerun:  python3 -m venv .venv-chat-templates &&
        .venv-chat-templates/bin/pip install -r tools/requirements-chat-templates.txt &&
        .venv-chat-templates/bin/python tools/gen_chat_template_fixtures.py
"""
import json
import pathlib

from transformers.utils.chat_template_utils import _compile_jinja_template

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "chat_templates"
SHARED = ROOT.parent / "shared"

TEMPLATES = {
    "shared:tokenizers/llama3/tokenizer_config.json": ("<|begin_of_text|>", "<|end_of_text|>"),
    "shared:tokenizers/qwen3/tokenizer_config.json": ("", "<|im_end|>"),
    "llama2_chat.jinja": ("<s>", "</s>"),
    "mistral_instruct.jinja": ("<s>", "</s>"),
    "smollm2.jinja": ("", "<|im_end|>"),
}


def load_template(name):
    if name.startswith("shared:"):
        config = json.loads((SHARED / name[len("shared:"):]).read_text(encoding="utf-8"))
        return config["chat_template"]
    return (OUT / name).read_text(encoding="utf-8")


def msg(role, content, **extra):
    return {"role": role, "content": content, **extra}


SYSTEM = msg("system", "You are a concise assistant.")
TURNS = [msg("user", "  What is 2+2?\n"), msg("assistant", "4."), msg("user", "And 3+3? Answer \"briefly\".")]
UNICODE = [msg("user", "Grüße, 世界! Ünïcödé — ok?"), msg("assistant", "Ja: «gut» 👍")]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city, in °C.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "default": 1}},
            "required": ["city"],
        },
    },
}
TOOL_CONVERSATION = [
    SYSTEM,
    msg("user", "Weather in Zürich?"),
    msg("assistant", "", tool_calls=[{"type": "function", "function": {
        "name": "get_weather", "arguments": {"city": "Zürich", "days": 2, "ratio": 0.5, "ok": True}}}]),
    msg("tool", '{"temp": 21}'),
    msg("tool", '{"temp": 19}'),
    msg("assistant", "It is 21 °C, then 19 °C."),
    msg("user", "Thanks"),
]
STRING_ARGS_TOOL_CALL = [
    msg("user", "Call it"),
    msg("assistant", "Calling.", tool_calls=[{"type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Oslo"}'}}]),
]
THINKING = [
    msg("user", "Is 91 prime?"),
    msg("assistant", "<think>\n91 = 7 * 13.\n</think>\n\nNo, 91 = 7 × 13."),
    msg("user", "And 97?"),
    msg("assistant", "Yes.", reasoning_content="\nNo divisor up to 9.\n"),
]


def inputs(messages, add_generation_prompt=False, tools=None, extra=None):
    return {"messages": messages, "add_generation_prompt": add_generation_prompt, "tools": tools,
            "extra": extra or {}}


COMMON = [
    inputs([TURNS[0]], True),
    inputs([TURNS[0]], False),
    inputs([SYSTEM] + TURNS, True),
    inputs(TURNS[:2], False),
    inputs(UNICODE, True),
]
CASES = {
    "shared:tokenizers/llama3/tokenizer_config.json": COMMON,
    "shared:tokenizers/qwen3/tokenizer_config.json": COMMON + [
        inputs(TOOL_CONVERSATION, True, tools=[WEATHER_TOOL]),
        inputs(TOOL_CONVERSATION[1:4], False, tools=[WEATHER_TOOL, {"name": "noop", "parameters": {}}]),
        inputs(STRING_ARGS_TOOL_CALL, True),
        inputs(THINKING, False),
        inputs(THINKING[:3], True),
        inputs(THINKING[:2], True, extra={"enable_thinking": False}),
        inputs([SYSTEM] + TURNS, True, extra={"enable_thinking": True}),
    ],
    "llama2_chat.jinja": COMMON + [inputs([TURNS[0], TURNS[0]], True)],
    "mistral_instruct.jinja": [c for i, c in enumerate(COMMON) if i != 2] + [inputs([SYSTEM] + TURNS, True)],
    "smollm2.jinja": COMMON,
}


def render(template, bos, eos, case):
    compiled = _compile_jinja_template(template)
    return compiled.render(messages=case["messages"], tools=case["tools"], documents=None,
                           add_generation_prompt=case["add_generation_prompt"], bos_token=bos,
                           eos_token=eos, **case["extra"])


def conversations():
    out = []
    for name, cases in CASES.items():
        bos, eos = TEMPLATES[name]
        template = load_template(name)
        for case in cases:
            record = {"template": name, "inputs": {**case, "bos_token": bos, "eos_token": eos}}
            try:
                record["expected"] = render(template, bos, eos, case)
            except Exception as e:  # raise_exception(...) in the template
                record["error"] = str(e)
            out.append(record)
    return out


SNIPPET_CONTEXT = {
    "s": "  Hello, World  ", "n": 7, "f": 2.5, "t": True, "none": None, "empty": "",
    "xs": [3, 1, 2], "words": ["a", "b", "c"],
    "d": {"b": 1, "a": [1, 2.0, "x"], "nested": {"k": "v"}},
    "people": [{"name": "Ann", "age": 31, "admin": True}, {"name": "Bob", "age": 17},
               {"name": "Cy", "age": 45, "admin": False}],
    "uni": "Grüße 世界",
}

SNIPPETS = [
    # literals and printing
    "{{ 'a\\tb\\n' }}|{{ \"q'uote\" }}|{{ 'x' 'y' }}|{{ '\\u00e9\\x41' }}",
    "{{ 1 }}|{{ 1.0 }}|{{ 0.1 }}|{{ 1e20 }}|{{ 1.5e-7 }}|{{ 2.50 }}|{{ 10/4 }}|{{ 1_000 }}",
    "{{ true }}|{{ False }}|{{ none }}|{{ None }}|{{ undefined_var }}|{{ [1, 'a', none, true] }}",
    "{{ {'k': 'v', 'n': [1, {'x': none}]} }}|{{ (1, 2)|list }}|{{ [] }}|{{ \"it's\" }}|{{ ['it\\'s', 'a\"b'] }}",
    # arithmetic and operators
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 / 2 }} {{ 1 + 2.5 }}",
    "{{ 'ab' * 3 }} {{ [1] * 2 }} {{ 'a' ~ 1 ~ none ~ undefined_var }} {{ [1] + [2] }} {{ -n }} {{ +f }}",
    "{{ 1 < 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' != 'a' }} {{ [1,2] == [1,2] }}",
    "{{ 'ell' in s }} {{ 2 in xs }} {{ 'b' in d }} {{ 'z' not in d }} {{ 5 not in xs }} {{ 'x' in undefined_var }}",
    "{{ n > 3 and 'big' or 'small' }} {{ none or 'fallback' }} {{ 0 and 1 }} {{ not empty }} {{ not not n }}",
    "{{ 'yes' if t else 'no' }}|{{ 'yes' if none }}|{{ 'a' if false else 'b' if t else 'c' }}",
    "{{ xs|length - 1 }} {{ n - 2 * 3 }} {{ (n - 2) * 3 }} {{ 2 * 3 ~ 4 }} {{ -n|abs }}",
    "{{ -xs|length }}",
    # access and slicing
    "{{ d.b }} {{ d['a'][1] }} {{ d.nested.k }} {{ d.missing }}|{{ xs[-1] }} {{ xs[5] }} {{ words.1 }}",
    "{{ xs[1:] }} {{ xs[::-1] }} {{ xs[:-1] }} {{ words[::2] }} {{ uni[1:4] }} {{ uni[-2:] }} {{ s[::-1] }}",
    "{{ d.missing is defined }} {{ d.b is defined }} {{ undefined_var is undefined }} {{ none is none }}",
    "{{ n is integer }} {{ f is float }} {{ f is number }} {{ s is string }} {{ d is mapping }} "
    "{{ xs is iterable }} {{ s is iterable }} {{ n is iterable }} {{ t is boolean }} {{ t is true }} "
    "{{ 1 is true }} {{ n is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ n is not none }} "
    "{{ n is eq 7 }} {{ 'a' is in 'abc' }} {{ none is sameas none }} {{ n is gt(3) }}",
    # filters
    "[{{ s|trim }}][{{ s|upper }}][{{ s|lower }}][{{ 'x-y'|trim('x') }}][{{ uni|length }}][{{ d|length }}]",
    "{{ undefined_var|default('dflt') }} {{ empty|default('dflt') }} {{ empty|default('dflt', true) }} "
    "{{ none|d('x') }}",
    "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ uni|tojson }}|{{ 'a\"b\\\\c\\n'|tojson }}|{{ [f, n, none, t]|tojson }}",
    "{{ people|tojson(indent=4, sort_keys=true) }}|{{ {}|tojson }}|{{ []|tojson(indent=2) }}",
    "{{ words|join(', ') }} {{ xs|join }} {{ people|join('/', attribute='name') }} {{ 'hello'|replace('l', 'L') }}",
    "{{ n|string ~ 'x' }} {{ '42'|int + 1 }} {{ ' 3.9 '|int }} {{ 'x'|int(5) }} {{ 3.7|int }} {{ '2.5'|float * 2 }}",
    "{{ xs|first }} {{ xs|last }} {{ 'abc'|list }} {{ d|list }} {% for k, v in d|items %}{{ k }}:{{ v }} {% endfor %} {{ []|first is defined }}",
    "{{ people|selectattr('admin')|map(attribute='name')|list }} "
    "{{ people|rejectattr('admin')|map(attribute='name')|join(',') }} "
    "{{ people|selectattr('age', 'gt', 18)|map(attribute='age')|list }} "
    "{{ people|selectattr('admin', 'defined')|list|length }} {{ words|map('upper')|list }}",
    "{{ xs|reverse|list }} {{ 'abc'|reverse }} {{ -3|abs }} {{ 'aBc'|capitalize }} {{ xs|select('odd')|list }}",
    # methods
    "[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ 'xxhixx'.strip('x') }}][{{ '\\n\\nhi\\n'.lstrip('\\n') }}]",
    "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'x</think>y'.split('</think>')[-1] }}",
    "{{ s.startswith('  He') }} {{ s.endswith(('x', '  ')) }} {{ 'aaa'.replace('a', 'b', 2) }} "
    "{{ 'Ab'.upper() }}{{ 'Ab'.lower() }} {{ 'hello'.find('l') }} {{ 'hello'.count('l') }} {{ '-'.join(words) }}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {{ d.keys()|list }} {{ d.values()|list|length }} "
    "{{ d.get('b') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }}",
    # statements
    "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.length }}"
    "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}({{ loop.previtem }}>{{ loop.nextitem }}) {% endfor %}",
    "{% for x in [] %}never{% else %}empty-else{% endfor %}|{% for x in xs if x > 1 %}{{ x }}{{ loop.length }} {% endfor %}",
    "{% for x in xs %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}{% for c in 'hé' %}[{{ c }}]{% endfor %}"
    "{% for k in d %}{{ k }}{% endfor %}",
    "{% set x = 1 %}{% for i in xs %}{% set x = i %}{% endfor %}{{ x }}|"
    "{% set ns = namespace(total=0, seen=[]) %}{% for i in xs %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set block %}inner {{ n }}{% endset %}[{{ block }}]",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }}",
    "{% if n > 10 %}big{% elif n > 5 %}medium{% else %}small{% endif %}|{% if none %}x{% endif %}",
    "{{ range(3)|list }} {{ range(1, 10, 3)|list }} {% for i in range(2) %}{{ i }}{% endfor %} "
    "{{ dict(a=1, b='x') }} {{ namespace(a=1).a }}",
    "{# a comment #}{% raw %}{{ not rendered }} {% if %}{% endraw %}",
    # whitespace control: trim_blocks, lstrip_blocks, -, +
    "line1\n  {% if t %}\n    body\n  {% endif %}\nline2\n",
    "a  {%- if t -%}  b  {%- endif -%}  c\n{{- ' d ' -}}\n  e",
    "x\n    {%+ if t %}kept-indent{% endif %}\n  {# comment #}\ny {{ n }}\n  {{ n }}\n",
    "{% for i in xs %}\n  {{ i }}\n{% endfor %}\ntail\n\n",
    "{% if t %}A{% endif +%}\nB\r\nC\rD",
]


def snippets():
    out = []
    for source in SNIPPETS:
        record = {"template": source}
        try:
            record["expected"] = _compile_jinja_template(source).render(**SNIPPET_CONTEXT)
        except Exception as e:
            record["error"] = f"{type(e).__name__}: {e}"
        out.append(record)
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "conversations.json").write_text(json.dumps(conversations(), ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
    (OUT / "snippets.json").write_text(json.dumps({"context": SNIPPET_CONTEXT, "cases": snippets()},
                                                  ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
