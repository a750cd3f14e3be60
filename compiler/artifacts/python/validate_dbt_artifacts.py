"""Validate tx's artifacts against dbt's artifact schemas (dbt-artifacts-parser's pydantic models,
extra keys forbidden) and OpenLineage events against openlineage-python's event schema.

    python validate_dbt_artifacts.py [LABEL:]KIND=PATH ...
    KIND: manifest, run_results, catalog, sources (dbt's schemas), openlineage (a .jsonl of events)

Prints one JSON object: {"[LABEL:]KIND": {"errors": N, "first": [..up to 30 messages..]}, ...}.
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
    """Each line an OpenLineage RunEvent, built into openlineage-python's generated event and facet
    classes (attrs, with the spec's required fields and validators): an unknown key, a missing
    required field, a wrong type, a facet whose _schemaURL is not the one its class writes, or an
    unknown facet name is an error. Then the client's own serializer must give back the same JSON."""
    from openlineage.client.serde import Serde

    errors = []
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    for i, line in enumerate(lines):
        ev = json.loads(line)
        where = f"event {i + 1} ({ev.get('eventType')} {ev.get('job', {}).get('name')})"
        try:
            obj = _build(_ol_classes()["RunEvent"], ev, "$")
            back = json.loads(Serde.to_json(obj))
            if _prune(back) != _prune(ev):
                errors.append(f"{where}: openlineage-python serializes it differently: {json.dumps(_prune(back))[:300]}")
        except _Invalid as exc:
            errors.append(f"{where}: {exc}")
    return errors, len(lines)


class _Invalid(Exception):
    pass


_CLASSES = {}


def _ol_classes():
    if _CLASSES:
        return _CLASSES
    from openlineage.client.generated import (
        base, column_lineage_dataset, data_quality_assertions_dataset, datasource_dataset, error_message_run,
        job_type_job, output_statistics_output_dataset, parent_run, processing_engine_run, schema_dataset, sql_job,
    )
    _CLASSES.update({
        "RunEvent": base.RunEvent,
        "facets": {
            "run": {"parent": parent_run.ParentRunFacet, "errorMessage": error_message_run.ErrorMessageRunFacet,
                    "processing_engine": processing_engine_run.ProcessingEngineRunFacet},
            "job": {"jobType": job_type_job.JobTypeJobFacet, "sql": sql_job.SQLJobFacet},
            "dataset": {"schema": schema_dataset.SchemaDatasetFacet, "dataSource": datasource_dataset.DatasourceDatasetFacet,
                        "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet},
            "input": {"dataQualityAssertions": data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet},
            "output": {"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet},
        },
    })
    return _CLASSES


def _facet_kind(cls_name, field):
    if field == "inputFacets":
        return "input"
    if field == "outputFacets":
        return "output"
    if cls_name in ("Run", "RootRun"):
        return "run"
    if cls_name in ("Job", "RootJob"):
        return "job"
    return "dataset"


def _build(cls, data, path):
    import enum
    import typing

    import attr

    if not isinstance(data, dict):
        raise _Invalid(f"{path}: expected an object for {cls.__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attr.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key == "_schemaURL":
            want = cls._get_schema() if hasattr(cls, "_get_schema") else None
            if want and value != want:
                raise _Invalid(f"{path}._schemaURL is {value}, {cls.__name__} writes {want}")
            continue
        if key == "schemaURL" and cls.__name__ == "RunEvent":
            if value != cls._get_schema():
                raise _Invalid(f"{path}.schemaURL is {value}, not {cls._get_schema()}")
            continue
        name = key
        if name not in fields:
            raise _Invalid(f"{path}: {cls.__name__} has no field {key}")
        f = fields[name]
        init_name = f.alias if getattr(f, "alias", None) else name.lstrip("_")
        if key in ("facets", "inputFacets", "outputFacets"):
            kind = _facet_kind(cls.__name__, key)
            table = _ol_classes()["facets"][kind]
            built = {}
            for fname, fval in (value or {}).items():
                if fname not in table:
                    raise _Invalid(f"{path}.{key}: no {kind} facet named {fname} in openlineage-python")
                built[fname] = _build(table[fname], fval, f"{path}.{key}.{fname}")
            kwargs[init_name] = built
        else:
            kwargs[init_name] = _value(hints.get(name), value, f"{path}.{key}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"{path}: {cls.__name__}: {exc}") from exc


def _value(tp, value, path):
    import enum
    import typing

    import attr

    if tp is None:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        errs = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _value(a, value, path)
            except _Invalid as exc:
                errs.append(str(exc))
        raise _Invalid("; ".join(errs))
    if origin in (list, typing.List):
        if not isinstance(value, list):
            raise _Invalid(f"{path}: expected a list")
        return [_value(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin in (dict, typing.Dict):
        if not isinstance(value, dict):
            raise _Invalid(f"{path}: expected an object")
        return {k: _value(args[1], v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError as exc:
            raise _Invalid(f"{path}: {exc}") from exc
    if isinstance(tp, type) and attr.has(tp):
        return _build(tp, value, path)
    if tp is typing.Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _Invalid(f"{path}: expected a boolean, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(f"{path}: expected a number, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise _Invalid(f"{path}: expected a string, got {value!r}")
        return value
    return value


def _prune(v):
    """JSON without empty lists/objects and nulls (the client drops them when it serializes)."""
    if isinstance(v, dict):
        out = {k: _prune(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x not in (None, [], {})}
    if isinstance(v, list):
        return [_prune(x) for x in v]
    return v


def main(argv):
    report = {}
    for arg in argv:
        key, _, path = arg.partition("=")
        kind = key.split(":")[-1]
        if kind == "openlineage":
            errs, n = validate_openlineage(path)
            report[key] = {"errors": len(errs), "first": errs[:30], "events": n}
        else:
            errs = validate_artifact(kind, path)
            report[key] = {"errors": len(errs), "first": errs[:30]}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
