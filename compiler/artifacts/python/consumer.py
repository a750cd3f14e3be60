"""A consumer of dbt artifacts, as orchestrators read them: dbt-artifacts-parser picks the schema
version from metadata.dbt_schema_version, then the script walks the typed objects.

    python consumer.py TARGET_DIR

Prints one JSON object: the DAG (parent -> child edges among nodes and sources), each result's
status, and the versions the parser chose.
"""
import json
import sys

from dbt_artifacts_parser.parser import parse_manifest, parse_run_results


def main(target):
    manifest = parse_manifest(json.load(open(f"{target}/manifest.json")))
    results = parse_run_results(json.load(open(f"{target}/run_results.json")))
    edges = []
    for uid, node in manifest.nodes.items():
        for parent in (node.depends_on.nodes or []) if getattr(node.depends_on, "nodes", None) else []:
            edges.append([parent, uid])
    for uid, ut in (manifest.unit_tests or {}).items():
        for parent in ut.depends_on.nodes or []:
            edges.append([parent, uid])
    status = {r.unique_id: r.status.value for r in results.results}
    print(json.dumps({
        "manifest": type(manifest).__name__,
        "run_results": type(results).__name__,
        "edges": sorted(edges),
        "status": status,
        "threads": sorted({r.thread_id for r in results.results}),
        "models": sorted(uid for uid, n in manifest.nodes.items() if n.resource_type == "model"),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
