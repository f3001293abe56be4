"""Hypothesis strategies that break a YAML graph the ways users do: lines deleted, duplicated or re-indented,
random bytes, tags, anchors and aliases, and a wrong kind of value for a key."""

from __future__ import annotations

import re

from hypothesis import strategies as st

TAGS = ["!!python/object/apply:os.system", "!!python/name:os.getcwd", "!!python/tuple", "!custom", "!!binary",
        "!!int", "!!float", "!!bool", "!!str", "!!null", "!!set", "!!map", "!!seq", "!!timestamp", "!", "!!omap"]
WRONG_VALUES = ["[]", "[1, 2]", "{}", "{a: 1}", "null", "~", "0", "-1", "1e400", ".nan", ".inf", "true", "''",
                "'${x}'", "'${${x}}'", "'${env:PIPEC_FUZZ_NOPE}'", "'$${x}'", "'${'", "*nowhere", "[[[[[]]]]]",
                "9" * 50, "'file:/etc/hostname'", "'file:~/.bashrc'", "'../../../etc/passwd'", "'{{ x.__class__ }}'",
                "2024-01-01", "<<", "'\u202e'", "- a", "|\n  block"]
KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_][\w.@-]*):(\s*)(.*)$")


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def mutation(draw, text: str) -> str:
    lines = _lines(text)
    n = len(lines)
    kind = draw(st.sampled_from(["delete", "duplicate", "indent", "bytes", "tag", "anchor", "wrong_value",
                                 "swap", "truncate", "wrong_key"]))
    i = draw(st.integers(0, max(n - 1, 0)))
    if kind == "delete" and n > 1:
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "indent":
        stripped = lines[i].lstrip(" ")
        lines[i] = " " * draw(st.integers(0, 12)) + stripped
    elif kind == "swap" and n > 1:
        j = draw(st.integers(0, n - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "truncate":
        cut = draw(st.integers(0, len(text)))
        return text[:cut]
    elif kind in ("tag", "anchor", "wrong_value", "wrong_key"):
        keyed = [k for k, line in enumerate(lines) if KEY_LINE.match(line)]
        if keyed:
            k = draw(st.sampled_from(keyed))
            indent, key, space, value = KEY_LINE.match(lines[k]).groups()
            if kind == "tag":
                value = f"{draw(st.sampled_from(TAGS))} {value}"
            elif kind == "anchor":
                name = draw(st.sampled_from(["a", "b", "c"]))
                value = draw(st.sampled_from([f"&{name} {value}", f"*{name}", f"&{name} [*{name}]"]))
            elif kind == "wrong_value":
                value = draw(st.sampled_from(WRONG_VALUES))
            else:
                key = draw(st.sampled_from(["params", "nodes", "settings", "tune", "op", "inputs", "space",
                                            "<<", "1", "null", key + "x", key.upper()]))
            lines[k] = f"{indent}{key}:{space or ' '}{value}"
    else:  # random bytes, spliced in as text (decoded below as the file would be)
        pos = draw(st.integers(0, len(text)))
        junk = draw(st.binary(min_size=1, max_size=8)).decode("latin-1")
        return text[:pos] + junk + text[pos:]
    return "\n".join(lines)


@st.composite
def mutated(draw, text: str) -> bytes:
    """One to three mutations of `text`; sometimes written in another encoding."""
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text))
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["latin-1", "utf-16", "utf-8-sig"]))
    return text.encode(encoding, errors="replace")
