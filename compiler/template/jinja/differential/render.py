"""The reference side of tx's differential Jinja2 test: renders a corpus with Python's jinja2,
configured exactly as dbt-core 1.10 configures it (dbt_common.clients.jinja.get_environment: the
sandboxed MacroFuzzEnvironment with the do / loopcontrols / materialization / docs / test
extensions, jinja2's default Undefined), dbt's base context as globals
(dbt.context.base.generate_base_context) and each case's own context on top.

Protocol (JSON lines on stdin, JSON lines on stdout, in order):
  {"type": "package", "name": "dbt_utils", "files": [{"path": "...", "source": "..."}]}
      -> {"type": "package", "name": ..., "macros": {"path": ["macro_name", ...]}}
         Each file's macros are wrapped in dbt's own MacroGenerator (so `{{ return(x) }}` gives
         x) and published as the namespace `name` (a dict) for cases that ask for the package;
         the package "dbt" is also published at the top level, as dbt publishes its internal
         macros.
  {"type": "case", "id": "...", "source": "...", "name": "x.sql", "context": {...},
   "packages": ["dbt", "dbt_utils"], "toplevel": ["project"], "stubs": true}
      -> {"type": "case", "id": ..., "ok": true, "output": "..."}
       | {"type": "case", "id": ..., "ok": false, "error": "UndefinedError", "message": "..."}
Values in "context" use the codec of codec.ts ({"$float": 1.0}, {"$tuple": [...]},
{"$set": [...]}, {"$dict": [[k, v], ...]}, {"$obj": {...}}; a plain JSON object is a dict).

The stubs (adapter, api, load_result, target, execute, exceptions, model, this, ref, source,
config, var, literal) are mirrored one for one by stubs.ts; keep both tiny and identical.

One process reads the whole corpus; after the imports and the packages it renders the cases in
forked workers (one per core, at most 4; TX_DIFF_WORKERS=1 renders them in this process). A
template is compiled once, through dbt's get_template, or from jinja2's bytecode cache in
TX_DIFF_BYTECODE_DIR when that is set. Each result carries "ms".
"""
import hashlib
import json
import multiprocessing
import os
import sys
import time
import types

# Everything dbt or a template prints (print(), log(), deprecation events) goes to stderr; only
# our JSON lines go to stdout.
_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

import jinja2  # noqa: E402
import jinja2.nodes  # noqa: E402
from dbt_common.clients.jinja import get_environment, get_template, template_cache  # noqa: E402
from dbt_common.exceptions import CompilationError as DbtCompilationError  # noqa: E402
from dbt.clients.jinja import MacroGenerator  # noqa: E402
from dbt.context.base import generate_base_context  # noqa: E402
from dbt.flags import set_from_args  # noqa: E402
from dbt_common.context import set_invocation_context  # noqa: E402

set_from_args(types.SimpleNamespace(), {})
set_invocation_context({})  # env_var reads the environment through it; an empty one is deterministic

MACRO_PREFIX = "dbt_macro__"


# ---------------------------------------------------------------------------- codec
def decode(v):
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "$float":
                return float(x)
            if k == "$tuple":
                return tuple(decode(i) for i in x)
            if k == "$set":
                return set(decode(i) for i in x)
            if k == "$dict":
                return {decode(a): decode(b) for a, b in x}
            if k == "$obj":
                return {a: decode(b) for a, b in x.items()}
        return {k: decode(x) for k, x in v.items()}
    return v


# ---------------------------------------------------------------------------- stubs
VARS = {
    "min_years_of_exp": 20,
    "max_years_of_exp": 50,
    "top_ranks": 5,
    "persist_targets": "postgres, hive",
    "dbt_date:time_zone": "America/Los_Angeles",
}
_NOTSET = object()


class CompilationError(Exception):
    """What the stubs raise (dbt raises its own CompilationError; only the name is compared)."""


def raise_compiler_error(msg, node=None):
    raise CompilationError(msg)


def warn(msg, node=None):
    return ""


def var(name, default=_NOTSET):
    if name in VARS:
        return VARS[name]
    if default is not _NOTSET:
        return default
    raise CompilationError("Required var '%s' not found in config" % name)


class Relation(dict):
    """What ref() and source() give: a mapping (dbt_utils checks metadata.type) printing as its
    quoted name."""

    def __str__(self):
        return '"%s"."%s"."%s"' % (self["database"], self["schema"], self["identifier"])


def relation(database, schema, identifier):
    return Relation(database=database, schema=schema, identifier=identifier, metadata={"type": "BaseRelation"})


def ref(*args, **kwargs):
    return relation("db", "main", args[-1])


def source(source_name, table_name):
    return relation("db", source_name, table_name)


def config(*args, **kwargs):
    return ""


def literal(value):
    """tx's literal() (a value as a SQL literal), for the example project's models."""
    return "'%s'" % value.replace("'", "''") if isinstance(value, str) else str(value)


TYPE_LABELS = {"STRING": "TEXT", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT", "INTEGER": "INT", "BOOLEAN": "BOOLEAN"}


def translate_type(dtype):
    return TYPE_LABELS.get(dtype.upper(), dtype)


def numeric_type(dtype, precision, scale):
    if precision is None or scale is None:
        return dtype
    return "{}({},{})".format(dtype, precision, scale)


def load_result(name):
    return None


class Adapter:
    """adapter.dispatch resolves `duckdb__name`, then `default__name`, in the root project (the
    case's "toplevel" packages), then in the macro namespace named, then in the `dbt` package, as
    dbt searches [root project, namespace] for a package's namespace; adapter.quote
    double-quotes."""

    def __init__(self, packages, root):
        self._packages = packages
        self._root = root

    def dispatch(self, macro_name, macro_namespace=None):
        for pkg in self._root + [macro_namespace or "dbt", "dbt"]:
            ns = self._packages.get(pkg, {})
            for prefix in ("duckdb__", "default__"):
                if prefix + macro_name in ns:
                    return ns[prefix + macro_name]
        raise CompilationError(
            "In dispatch: No macro named '%s' found within namespace: '%s'" % (macro_name, macro_namespace)
        )

    def quote(self, identifier):
        return '"%s"' % identifier

    def type(self):
        return "duckdb"


def stub_context(packages, root):
    return {
        "adapter": Adapter(packages, root),
        "api": {"Column": {"translate_type": translate_type, "numeric_type": numeric_type}},
        "load_result": load_result,
        "target": {"type": "duckdb", "name": "dev", "database": "db", "schema": "main", "threads": 1, "profile_name": "tx"},
        "execute": False,
        "exceptions": {"raise_compiler_error": raise_compiler_error, "warn": warn},
        "model": {"name": "my_model", "package_name": "my_project", "unique_id": "model.my_project.my_model"},
        "this": '"db"."main"."my_model"',
        "ref": ref,
        "source": source,
        "config": config,
        "var": var,
        "literal": literal,
    }


# ---------------------------------------------------------------------------- rendering
BASE = generate_base_context({})
ENV = get_environment()  # for parsing only; templates come from dbt's get_template
PACKAGES = {}  # name -> list of (path, source, [macro names])


def macro_names(source):
    names = []
    for node in ENV.parse(source).body:
        if isinstance(node, jinja2.nodes.Macro) and node.name.startswith(MACRO_PREFIX):
            names.append(node.name[len(MACRO_PREFIX):])
    return names


def load_package(msg):
    files = []
    out = {}
    for f in msg["files"]:
        try:
            names = macro_names(f["source"])
        except jinja2.TemplateSyntaxError as e:
            names = []
            out[f["path"]] = {"error": type(e).__name__, "message": str(e)}
        else:
            out[f["path"]] = names
        files.append((f["path"], f["source"], names))
    PACKAGES[msg["name"]] = files
    return {"type": "package", "name": msg["name"], "macros": out}


def build_context(case):
    ctx = dict(BASE)
    wanted = case.get("packages") or []
    if wanted or case.get("stubs"):
        namespaces = {}
        ctx.update(stub_context(namespaces, list(case.get("toplevel") or [])))
        for pkg in wanted:
            ns = {}
            for path, src, names in PACKAGES[pkg]:
                for name in names:
                    macro = types.SimpleNamespace(name=name, macro_sql=src, unique_id="macro.%s.%s" % (pkg, name))
                    ns[name] = MacroGenerator(macro, ctx)
            namespaces[pkg] = ns
            ctx[pkg] = ns
        # dbt's own macros are also reachable unqualified, as in dbt, and so are those of the
        # packages the case names in "toplevel" (a root project's macros).
        for pkg in ["dbt"] + (case.get("toplevel") or []):
            for name, gen in namespaces.get(pkg, {}).items():
                ctx[name] = gen
    ctx.update(decode(case.get("context") or {}))
    ctx["context"] = ctx  # as in dbt: `context` is the whole context (dbt's own is the base one)
    return ctx


def innermost(e):
    # dbt's MacroGenerator wraps TypeError and TemplateRuntimeError raised inside a macro in
    # CaughtMacroError(WithNodeError), and get_template wraps a syntax error in a
    # CompilationError raised `from` it; report the original exception.
    for _ in range(20):
        if isinstance(getattr(e, "exc", None), BaseException):
            e = e.exc
        elif isinstance(e, DbtCompilationError) and e.__cause__ is not None:
            e = e.__cause__
        else:
            break
    return e


# With TX_DIFF_BYTECODE_DIR set, a template's Python code is compiled once across runs: the code
# is kept in jinja2's file-system bytecode cache (keyed by the source's digest), and the template
# is made from it exactly as Environment.from_string makes one, by an environment from the same
# get_environment() that dbt's get_template uses (no loader: include/import still fail as in dbt).
BYTECODE_DIR = os.environ.get("TX_DIFF_BYTECODE_DIR")
BYTECODE_CACHE = None
if BYTECODE_DIR:
    os.makedirs(BYTECODE_DIR, exist_ok=True)
    BYTECODE_CACHE = jinja2.FileSystemBytecodeCache(BYTECODE_DIR)
    CODE_ENV = get_environment()


def from_bytecode_cache(source):
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    bucket = BYTECODE_CACHE.get_bucket(CODE_ENV, key, None, source)
    if bucket.code is None:
        bucket.code = CODE_ENV.compile(source)
        BYTECODE_CACHE.set_bucket(bucket)
    return CODE_ENV.template_class.from_code(CODE_ENV, bucket.code, CODE_ENV.make_globals({}), None)


def compiled(source):
    """The template of `source`, compiled once: dbt's get_template(source, {}) (globals are looked
    up in the context handed to render, which holds them all), shared with the cache dbt's
    MacroGenerator compiles macro files into (keyed by the file's text)."""
    cache = template_cache.file_cache
    if source not in cache:
        if BYTECODE_CACHE is not None:
            try:
                cache[source] = from_bytecode_cache(source)
            except jinja2.TemplateSyntaxError:
                cache[source] = get_template(source, {})  # raises it as dbt does
        else:
            cache[source] = get_template(source, {})
    return cache[source]


def render_case(case):
    try:
        ctx = build_context(case)
        output = compiled(case["source"]).render(ctx)
        return {"type": "case", "id": case["id"], "ok": True, "output": output}
    except RecursionError as e:
        return {"type": "case", "id": case["id"], "ok": False, "error": "RecursionError", "message": str(e)[:500]}
    except Exception as e:  # noqa: BLE001 -- every exception is a result here
        e = innermost(e)
        return {"type": "case", "id": case["id"], "ok": False, "error": type(e).__name__, "message": str(e)[:500]}


def timed_render(case):
    t0 = time.perf_counter()
    res = render_case(case)
    res["ms"] = round((time.perf_counter() - t0) * 1000, 2)
    return res


def main():
    # Packages first (every case may use them), then the cases. The cases are rendered by forked
    # workers (one per core, at most 4) that share everything imported and loaded so far; the
    # results come back in input order.
    cases = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        if msg["type"] == "package":
            _out.write(json.dumps(load_package(msg), ensure_ascii=False) + "\n")
        else:
            cases.append(msg)
    # Every package file compiled here, before the workers fork, so that none compiles it again.
    for files in PACKAGES.values():
        for _path, src, names in files:
            if names:
                try:
                    compiled(src)
                except Exception:  # noqa: BLE001 -- its own case reports it
                    pass
    workers = max(1, min(4, os.cpu_count() or 1, int(os.environ.get("TX_DIFF_WORKERS", "4"))))
    pool = None
    if workers == 1 or len(cases) < 200:
        results = map(timed_render, cases)
    else:
        pool = multiprocessing.get_context("fork").Pool(workers)
        results = pool.imap(timed_render, cases, chunksize=64)
    for res in results:
        _out.write(json.dumps(res, ensure_ascii=False) + "\n")
    _out.flush()
    if pool is not None:
        pool.close()
        pool.join()


if __name__ == "__main__":
    main()
