"""Compare the dbt-only resources of tx's manifest with dbt-core's of the same project, key by key.

    python compare_semantic_with_dbt.py DBT_MANIFEST TX_MANIFEST

Compared, value by value: exposures, metrics, groups, semantic_models, saved_queries and the
disabled ones of those kinds; group_map (member order aside); parent_map and child_map entries of
those resources and of the nodes they depend on; each node's `group`, a model's `time_spine` and
its columns' `granularity`. Ignored: `created_at` (a time) and a relation name's database part
(tx names DuckDB relations without the catalog, everywhere in its manifest).
Prints one JSON object: {"counts": {...}, "differences": [...]}.
"""
import json
import re
import sys

KINDS = ("exposures", "metrics", "groups", "semantic_models", "saved_queries")
PREFIXES = ("exposure.", "metric.", "group.", "semantic_model.", "saved_query.")


def strip_db(rel):
    # "db"."schema"."table" -> "schema"."table"
    if isinstance(rel, str):
        parts = re.findall(r'"[^"]*"', rel)
        if len(parts) == 3:
            return ".".join(parts[1:])
    return rel


def diff(a, b, path, out):
    if path.endswith(".created_at"):
        return
    if path.endswith("node_relation.relation_name"):
        a, b = strip_db(a), strip_db(b)
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append({"path": f"{path}.{k}", "only_in": "dbt", "dbt": a[k]})
            elif k not in a:
                out.append({"path": f"{path}.{k}", "only_in": "tx", "tx": b[k]})
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append({"path": path, "dbt": a, "tx": b})


def main(dbt_path, tx_path):
    dm = json.load(open(dbt_path))
    tm = json.load(open(tx_path))
    out = []
    counts = {}
    for kind in KINDS:
        counts[kind] = len(dm[kind])
        diff(dm[kind], tm[kind], kind, out)
    dis_d = {k: v for k, v in dm["disabled"].items() if k.startswith(PREFIXES)}
    dis_t = {k: v for k, v in tm["disabled"].items() if k.startswith(PREFIXES)}
    counts["disabled"] = len(dis_d)
    diff(dis_d, dis_t, "disabled", out)
    diff({k: sorted(v) for k, v in dm["group_map"].items()}, {k: sorted(v) for k, v in tm["group_map"].items()}, "group_map", out)
    # graph maps: the resources, and every node one of them depends on
    ids = set()
    for kind in KINDS:
        for uid, r in dm[kind].items():
            if kind == "groups":
                continue
            ids.add(uid)
            ids.update(r["depends_on"]["nodes"])
    for mp in ("parent_map", "child_map"):
        for uid in sorted(ids):
            diff(sorted(dm[mp].get(uid, ["<absent>"])), sorted(tm[mp].get(uid, ["<absent>"])), f"{mp}.{uid}", out)
    # nodes: group membership, time spines, column granularity
    for uid, dn in dm["nodes"].items():
        tn = tm["nodes"].get(uid)
        if tn is None:
            out.append({"path": f"nodes.{uid}", "only_in": "dbt"})
            continue
        diff(dn.get("group"), tn.get("group"), f"nodes.{uid}.group", out)
        diff(dn["config"].get("group"), tn["config"].get("group"), f"nodes.{uid}.config.group", out)
        if dn["resource_type"] == "model":
            diff(dn.get("time_spine"), tn.get("time_spine"), f"nodes.{uid}.time_spine", out)
            for c, col in dn["columns"].items():
                diff(col.get("granularity"), tn["columns"].get(c, {}).get("granularity"), f"nodes.{uid}.columns.{c}.granularity", out)
    print(json.dumps({"counts": counts, "differences": out}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
