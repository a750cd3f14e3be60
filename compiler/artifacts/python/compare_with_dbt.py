"""Compare tx's manifest and run_results of a project with dbt-core's of the same project, key by key.

    python compare_with_dbt.py DBT_TARGET_DIR TX_TARGET_DIR

Nodes are matched by unique id, tests too (tx gives generic tests dbt's ids). Prints one JSON object: {"matched": N, "differences": [...], "missing": [...]}.
Keys compared: which keys each node has, and the values of the fields a consumer relies on.
"""
import json
import sys

FIELDS = [
    "resource_type", "package_name", "name", "path", "original_file_path", "fqn", "alias", "schema",
    "checksum", "refs", "sources", "depends_on.nodes", "column_name", "attached_node", "file_key_name",
    "test_metadata.name", "test_metadata.kwargs.column_name", "config.materialized", "config.severity",
    "config.enabled", "description", "language", "patch_path", "source_name", "identifier", "loader",
    "docs", "group", "access", "contract.enforced", "compiled", "extra_ctes_injected",
    "config.schema", "primary_key", "doc_blocks", "columns.*.doc_blocks",
]
# keys tx never writes because they describe dbt features tx does not have, or machine-specific values
KEY_EXEMPT = {"build_path", "unrendered_config_call_dict", "config_call_dict", "defer_relation"}


def get(d, dotted):
    if ".*." in dotted:  # one value per key of a mapping: columns.*.doc_blocks
        head, tail = dotted.split(".*.", 1)
        m = get(d, head)
        return {k: get(v, tail) for k, v in m.items()} if isinstance(m, dict) else m
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return "<absent>"
        d = d[part]
    return d


def norm(v):
    if isinstance(v, list):
        try:
            return sorted(v, key=json.dumps)
        except TypeError:
            return v
    return v


def main(dbt_dir, tx_dir):
    dm = json.load(open(f"{dbt_dir}/manifest.json"))
    tm = json.load(open(f"{tx_dir}/manifest.json"))
    diffs, missing = [], []
    pairs = []
    for uid, dn in list(dm["nodes"].items()) + list(dm["sources"].items()):
        if dn.get("package_name") != dm["metadata"]["project_name"]:
            continue
        tn = tm["nodes"].get(uid) or tm["sources"].get(uid)
        if tn is None:
            missing.append(uid)
            continue
        pairs.append((uid, dn, tn))
    for uid, dn, tn in pairs:
        dk, tk = set(dn) - KEY_EXEMPT, set(tn)
        if dk - tk:
            diffs.append({"node": uid, "keys_missing_in_tx": sorted(dk - tk)})
        if tk - set(dn):
            diffs.append({"node": uid, "keys_only_in_tx": sorted(tk - set(dn))})
        for f in FIELDS:
            a, b = get(dn, f), get(tn, f)
            if f == "checksum" and dn["resource_type"] == "test":
                continue  # dbt writes no checksum for a generic test; tx the sha256 of its SQL
            if f == "path" and dn["resource_type"] == "test" and "test_metadata" in dn:
                continue  # generic test file names: dbt hashes long ones
            if f == "depends_on.nodes" and dn["resource_type"] == "test":
                a, b = norm(a), norm(b)
            if norm(a) != norm(b):
                diffs.append({"node": uid, "field": f, "dbt": a, "tx": b})
    # graph maps over the matched ids
    idmap = {dn["unique_id"]: tn["unique_id"] for _, dn, tn in pairs}
    for mp in ("parent_map", "child_map"):
        for d_id, t_id in idmap.items():
            want = sorted(idmap.get(x, "<unmatched:" + x + ">") for x in dm[mp].get(d_id, []))
            got = sorted(tm[mp].get(t_id, []))
            if want != got:
                diffs.append({"node": d_id, "field": mp, "dbt": want, "tx": got})
    top = sorted(set(dm) ^ set(tm))
    meta_missing = sorted(set(dm["metadata"]) - set(tm["metadata"]))
    print(json.dumps({"matched": len(pairs), "differences": diffs, "missing": missing, "top_level_key_differences": top, "metadata_keys_missing_in_tx": meta_missing}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
