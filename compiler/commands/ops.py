"""`pipe ops`: every registered op with its documentation, parameters and typed ports."""

from __future__ import annotations

import json
import sys


def add_arguments(parser):
    parser.add_argument("name", nargs="?", help="show one op (or ops starting with this prefix)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    from ..compile import op_summary
    from ..errors import UsageError, did_you_mean
    from ..registry import default_registry

    registry = default_registry()
    names = registry.names()
    if args.name:
        names = [n for n in names if n == args.name or n.startswith(args.name)]
        if not names:
            hint = did_you_mean(args.name, registry.names())
            raise UsageError(f"no op '{args.name}'" + (f"; {hint}" if hint else ""))
    summaries = []
    for name in names:
        try:
            summaries.append(op_summary(registry.get(name)))
        except Exception as exc:  # a broken plugin is listed, not fatal
            summaries.append({"name": name, "error": str(exc)})
    if args.json:
        print(json.dumps(summaries, indent=2, default=str))
        return 0
    out = sys.stdout
    for s in summaries:
        if "error" in s:
            print(f"{s['name']}  (unavailable: {s['error']})\n", file=out)
            continue
        print(f"{s['name']}  (version {s['version']})", file=out)
        if s["doc"]:
            for line in s["doc"].splitlines():
                print(f"    {line}", file=out)
        if s["inputs"]:
            print("  inputs:", file=out)
            for k, v in s["inputs"].items():
                flags = ("" if v["required"] else ", optional") + (", many" if v["many"] else "")
                print(f"    {k}: {v['type']}{flags}" + (f"  - {v['doc']}" if v["doc"] else ""), file=out)
        if s["outputs"]:
            print("  outputs:", file=out)
            for k, v in s["outputs"].items():
                print(f"    {k}: {v['type']}" + (f"  - {v['doc']}" if v["doc"] else ""), file=out)
        if s["params"]:
            print("  params:", file=out)
            for p in s["params"]:
                default = "required" if p["required"] else f"default {json.dumps(p['default'], default=str)}"
                print(f"    {p['name']}: {p['type']} ({default})" + (f"  - {p['doc']}" if p["doc"] else ""),
                      file=out)
        print(file=out)
    return 0
