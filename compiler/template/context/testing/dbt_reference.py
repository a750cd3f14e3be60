"""Evaluates Python expressions against dbt-core's real base context, for differential tests.

Usage: python dbt_reference.py CASES.json OUT.json
CASES.json is a JSON list of expression strings. Names resolve in dbt's generate_base_context({})
(dicts such as `modules` are readable with attribute syntax), plus list/tuple/dict/str/repr/len.
OUT.json gets one object per case: {"str": str(v), "repr": repr(v)} or {"error": type name,
"message": str(e)}. stdout is left to what the context prints (print()).
"""
import builtins
import json
import sys
from argparse import Namespace

from dbt.flags import set_from_args

set_from_args(Namespace(PRINT=True), None)

from dbt.context.base import generate_base_context  # noqa: E402


class AttrDict(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)


def wrap(v):
    if isinstance(v, dict) and not isinstance(v, AttrDict):
        return AttrDict({k: wrap(x) for k, x in v.items()})
    return v


def main():
    cases = json.load(open(sys.argv[1]))
    ctx = generate_base_context({})
    names = {k: v for k, v in ctx.items() if k not in ("context", "builtins")}
    names["modules"] = wrap(ctx["modules"])
    names.update(list=list, tuple=tuple, dict=dict, str=str, repr=repr, len=len, sorted=sorted, next=next)
    out = []
    for expr in cases:
        try:
            v = eval(expr, dict(names, __builtins__=builtins))
            out.append({"str": str(v), "repr": repr(v)})
        except BaseException as e:  # noqa: BLE001
            out.append({"error": type(e).__name__, "message": str(e)})
    sys.stdout.flush()
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


main()
