"""Mutation run: how many realistic regressions the tests catch (not a test: it measures).

Each mutation is a small edit of one source file (most change one line; a swap changes two
neighbouring lines), the kind a hurried change or a bad merge makes: two parameters swapped, an
action dropped from a policy, an aggregation or a filter value changed. For each, one at a time, in
a copy of the working tree: apply it, rebuild output/ and docs/ (so only the behaviour tests judge,
not the golden files), and run the tests of the code it changes (pytest -x). A mutation is killed
when the build refuses it (cfn-lint or a build check) or a test fails, and survives otherwise.

    .venv/bin/python benchmarks/mutations.py [--only ID ...]

The copy shares this checkout's lint cache (.cache/), so only the templates a mutation changes are
linted again. A mutation whose text is no longer in its file, or whose test files are gone, is
reported as not applied (update the list when the code or the tests move).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    old: str  # the text replaced, exactly once in the file
    new: str
    tests: tuple[str, ...]
    why: str


PATCHING = ("tests/stacks/test_patching.py", "tests/stacks/test_patching_member.py", "tests/parts/test_operations.py")
DASHBOARD = ("tests/stacks/test_quicksight_dashboard.py",)
SLA_SHEET = (*DASHBOARD, "tests/queries/test_sla_sheet.py")
ANALYTICS = ("tests/stacks/test_analytics.py",)
BASELINES = ("tests/parts/test_baselines.py", "tests/stacks/test_patching.py", "tests/stacks/test_patching_member.py")
ALERTS = ("tests/parts/test_alerts.py", "tests/parts/test_data_path_alerts.py", "tests/stacks/test_central_alerts.py")
COLLECTOR = (
    "tests/stacks/test_collector.py",
    "tests/stacks/test_resource_data_sync.py",
    "tests/parts/test_policies.py",
)
# The named queries are queries/compacted/<name>.sql; queries/<name>.sql is their reference.
REPORTS = ("tests/stacks/test_compliance_reports.py", "tests/queries/test_compacted_reports.py")

MUTATIONS = [
    # The three that survived the earlier run.
    Mutation(
        "max-concurrency-errors-swapped",
        "patch_templates/parts/operations.py",
        "MaxConcurrency=Ref(params.max_concurrency),\n            MaxErrors=Ref(params.max_errors),",
        "MaxConcurrency=Ref(params.max_errors),\n            MaxErrors=Ref(params.max_concurrency),",
        PATCHING,
        "both defaulted to 1 before they became percentages",
    ),
    Mutation(
        "crawler-without-batch-create-partition",
        "patch_templates/stacks/analytics.py",
        "                                glue_actions.BatchCreatePartition,\n",
        "",
        ANALYTICS,
        "the crawler could not add partitions",
    ),
    Mutation(
        "top-cves-count-rows",
        "patch_templates/parts/dashboard_definition.py",
        'values=(Field("node_id", "DISTINCT_COUNT"),),\n                top=10,',
        'values=(Field("node_id", "COUNT"),),\n                top=10,',
        DASHBOARD,
        "a node with two patches for one CVE counts twice",
    ),
    Mutation(
        "by-severity-plain-count",
        "patch_templates/parts/dashboard_definition.py",
        'Field("node_patch", "DISTINCT_COUNT")',
        'Field("node_patch", "COUNT")',
        DASHBOARD,
        "a patch with two CVEs counts twice",
    ),
    # Parameters that share a default and reach the same resource.
    Mutation(
        "sync-bucket-region-takes-source-regions",
        "patch_templates/parts/sync.py",
        "BucketRegion=Ref(params.region),",
        "BucketRegion=Ref(params.source_regions),",
        COLLECTOR,
        "pBucketRegion and pSyncSourceRegions both default to us-east-1",
    ),
    Mutation(
        "approved-and-rejected-patches-swapped",
        "patch_templates/parts/baselines.py",
        'ApprovedPatches=given(params.approved_patches, Split(",", Ref(params.approved_patches))),\n'
        '            RejectedPatches=given(params.rejected_patches, Split(",", Ref(params.rejected_patches))),',
        'ApprovedPatches=given(params.rejected_patches, Split(",", Ref(params.rejected_patches))),\n'
        '            RejectedPatches=given(params.approved_patches, Split(",", Ref(params.approved_patches))),',
        BASELINES,
        "both default to none",
    ),
    Mutation(
        "product-and-severity-filters-swapped",
        "patch_templates/parts/baselines.py",
        '"pProduct": ("Products", "product"),\n    "pClassification": ("Classifications", "classification"),\n'
        '    "pSeverity": ("Severities", "severity"),',
        '"pProduct": ("Products", "severity"),\n    "pClassification": ("Classifications", "classification"),\n'
        '    "pSeverity": ("Severities", "product"),',
        BASELINES,
        "both default to * on Debian and CentOS",
    ),
    Mutation(
        "slack-workspace-and-channel-swapped",
        "patch_templates/stacks/central_alerts.py",
        "SlackWorkspaceId=Ref(params.workspace),\n            SlackChannelId=Ref(params.channel),",
        "SlackWorkspaceId=Ref(params.channel),\n            SlackChannelId=Ref(params.workspace),",
        ALERTS,
        "both default to empty",
    ),
    Mutation(
        "automation-role-passed-as-output-bucket",
        "patch_templates/parts/operations.py",
        "OutputS3BucketName=If(has_bucket, Ref(params.output_bucket), NoValue),",
        "OutputS3BucketName=If(has_bucket, params.variant.role_arn(params.role), NoValue),",
        PATCHING,
        "pAutomationAssumeRoleArn and pOutputS3BucketName both default to empty",
    ),
    Mutation(
        "window-duration-and-cutoff-swapped",
        "patch_templates/parts/operations.py",
        "Duration=Ref(params.duration),\n            Cutoff=Ref(params.cutoff),",
        "Duration=Ref(params.cutoff),\n            Cutoff=Ref(params.duration),",
        PATCHING,
        "the window would stop scheduling tasks at once",
    ),
    Mutation(
        "results-and-snapshot-expiry-swapped",
        "patch_templates/stacks/analytics.py",
        'RESULTS_FOLDER, Ref(results_days)),\n            expiry_rule("ExpireComplianceSnapshots", catalog.SNAPSHOT_FOLDER, '
        "Ref(retention_days)),",
        'RESULTS_FOLDER, Ref(retention_days)),\n            expiry_rule("ExpireComplianceSnapshots", catalog.SNAPSHOT_FOLDER, '
        "Ref(results_days)),",
        ANALYTICS,
        "the compliance history would expire with the query results",
    ),
    Mutation(
        "scan-and-inventory-switches-swapped",
        "patch_templates/parts/operations.py",
        'Equals(Ref(enable_scan), "true")),\n        inventory=t.add_condition("EnableInventory", Equals(Ref(enable_inventory)',
        'Equals(Ref(enable_inventory), "true")),\n        inventory=t.add_condition("EnableInventory", Equals(Ref(enable_scan)',
        PATCHING,
        "both default to true",
    ),
    Mutation(
        "non-security-follows-default-baseline",
        "patch_templates/parts/baselines.py",
        'Equals(Ref(params.enable_non_security), "true")',
        'Equals(Ref(params.default_baseline), "true")',
        BASELINES,
        "both default to false",
    ),
    Mutation(
        "priority-takes-schedule-offset",
        "patch_templates/parts/operations.py",
        "Priority=Ref(params.priority),",
        "Priority=Ref(params.offset),",
        PATCHING,
        "both default to 0",
    ),
    # Other realistic regressions.
    Mutation(
        "install-task-notifies-no-failures",
        "patch_templates/parts/operations.py",
        'NOTIFICATION_EVENTS = ["Success", "Failed", "TimedOut", "Cancelled"]',
        'NOTIFICATION_EVENTS = ["Success", "TimedOut", "Cancelled"]',
        PATCHING,
        "a failed install would mail nobody",
    ),
    Mutation(
        "scan-association-installs",
        "patch_templates/parts/operations.py",
        'Parameters={"Operation": ["Scan"]},',
        'Parameters={"Operation": ["Install"]},',
        PATCHING,
        "the daily scan would install and reboot outside the window",
    ),
    Mutation(
        "install-task-only-scans",
        "patch_templates/parts/operations.py",
        'Parameters={"Operation": ["Install"], "RebootOption"',
        'Parameters={"Operation": ["Scan"], "RebootOption"',
        PATCHING,
        "the window would never install a patch",
    ),
    Mutation(
        "crawler-updates-table-schemas",
        "patch_templates/stacks/analytics.py",
        'SchemaChangePolicy=glue.SchemaChangePolicy(UpdateBehavior="LOG", DeleteBehavior="LOG"),',
        'SchemaChangePolicy=glue.SchemaChangePolicy(UpdateBehavior="UPDATE_IN_DATABASE", DeleteBehavior="LOG"),',
        ANALYTICS,
        "the crawler would rewrite the tables' columns",
    ),
    Mutation(
        "workgroup-not-enforced",
        "patch_templates/stacks/analytics.py",
        "EnforceWorkGroupConfiguration=True,",
        "EnforceWorkGroupConfiguration=False,",
        ANALYTICS,
        "queries could write unencrypted results anywhere and skip the scan limit",
    ),
    Mutation(
        "alert-key-not-rotated",
        "patch_templates/stacks/central_alerts.py",
        "EnableKeyRotation=True,",
        "EnableKeyRotation=False,",
        ALERTS,
        "the alert topic's key would never rotate",
    ),
    Mutation(
        "buckets-deleted-with-their-stack",
        "patch_templates/parts/common.py",
        'DeletionPolicy="Retain",\n            UpdateReplacePolicy="Retain",',
        'DeletionPolicy="Delete",\n            UpdateReplacePolicy="Retain",',
        COLLECTOR,
        "deleting a stack would delete the inventory and compliance history",
    ),
    Mutation(
        "sync-writes-without-bucket-owner-full-control",
        "patch_templates/parts/policies.py",
        'StringEquals({"s3:x-amz-acl": "bucket-owner-full-control", **source})',
        "StringEquals(source)",
        COLLECTOR,
        "the documented delivery condition dropped",
    ),
    Mutation(
        "p90-is-the-median",
        "patch_templates/parts/dashboard_definition.py",
        '"percentileDisc({days_open}, 90)"',
        '"percentileDisc({days_open}, 50)"',
        SLA_SHEET,
        "the 90th percentile of days to patch would show the median",
    ),
    Mutation(
        "overdue-visuals-show-every-open-patch",
        "patch_templates/stacks/quicksight_dashboard.py",
        "CASE WHEN status = 'open' AND overdue THEN 1",
        "CASE WHEN status = 'open' THEN 1",
        SLA_SHEET,
        "patches within their SLA would be listed as overdue",
    ),
    Mutation(
        "days-to-patch-per-day",
        "patch_templates/parts/dashboard_definition.py",
        'Field("fixed_date", granularity="MONTH")',
        'Field("fixed_date")',
        SLA_SHEET,
        "the percentiles would be per day, not per month",
    ),
    Mutation(
        "dashboard-reads-every-snapshot-day",
        "patch_templates/parts/dashboard_definition.py",
        'NOW = ("latest_snapshot", 1)',
        'NOW = ("latest_snapshot", 0)',
        DASHBOARD,
        "the 'now' visuals would show every day but the newest",
    ),
    Mutation(
        "summary-counts-noncompliant-as-compliant",
        "patch_templates/queries/compacted/compliance_summary.sql",
        "round(100.0 * count_if(compliant) / count(*), 1) AS compliance_percent",
        "round(100.0 * count_if(NOT compliant) / count(*), 1) AS compliance_percent",
        REPORTS,
        "the compliance percentage inverted",
    ),
    Mutation(
        "cve-report-counts-rows",
        "patch_templates/queries/compacted/patches_by_cve.sql",
        "count(DISTINCT node_id) AS affected_nodes,",
        "count(node_id) AS affected_nodes,",
        REPORTS,
        "a node counted once per patch",
    ),
    Mutation(
        "stale-scans-miss-never-scanned",
        "patch_templates/queries/compacted/stale_patch_scans.sql",
        "(last_scan_time IS NULL OR last_scan_time <",
        "(last_scan_time <",
        REPORTS,
        "nodes that never reported a scan would look current",
    ),
    Mutation(
        "running-crawler-fails-the-stack",
        "patch_templates/lambdas/consolidated_billing_crawler_initializer.py",
        "except glue.exceptions.CrawlerRunningException:",
        "except glue.exceptions.EntityNotFoundException:",
        ("tests/lambdas/test_consolidated_billing_crawler_initializer.py",),
        "a crawler already running would fail the stack",
    ),
]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def first_failure(output: str) -> str:
    """The first failed test (pytest's summary) or the build's refusal."""
    lines = output.strip().splitlines() or [""]
    return next((line for line in lines if line.startswith(("FAILED ", "ERROR ", "build failed"))), lines[-1])[:120]


def try_mutation(mutation: Mutation, copy: Path) -> tuple[str, str]:
    """(verdict, what decided it): killed, survived or not applied."""
    path = copy / mutation.file
    original = path.read_text()
    if original.count(mutation.old) != 1:
        return "not applied", f"its text is in {mutation.file} {original.count(mutation.old)} times, not once"
    moved = [test for test in mutation.tests if not (copy / test).is_file()]
    if moved:  # pytest would fail on a missing file: that is no kill
        return "not applied", f"no test file {', '.join(moved)}"
    path.write_text(original.replace(mutation.old, mutation.new))
    try:
        build = run([sys.executable, "build.py", "--cache-dir", str(ROOT / ".cache")], copy)
        if build.returncode != 0:
            return "killed", "build: " + first_failure(build.stdout + build.stderr)
        tests = run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", *mutation.tests], copy
        )
        if tests.returncode != 0:
            return "killed", first_failure(tests.stdout)
        return "survived", ""
    finally:
        path.write_text(original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutations")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or m.id in args.only]
    with tempfile.TemporaryDirectory(prefix="mutations-") as temporary:
        copy = Path(temporary) / "checkout"
        for name in run(["git", "ls-files"], ROOT).stdout.splitlines():
            if (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
        verdicts = {}
        for mutation in chosen:
            started = time.monotonic()
            verdict, reason = try_mutation(mutation, copy)
            verdicts[mutation.id] = verdict
            print(f"{verdict:11} {mutation.id:45} {time.monotonic() - started:5.0f} s  {reason}", flush=True)
    counts = {v: list(verdicts.values()).count(v) for v in ("killed", "survived", "not applied")}
    print(f"\n{len(chosen)} mutations: {counts['killed']} killed, {counts['survived']} survived", end="")
    print(f", {counts['not applied']} not applied" if counts["not applied"] else "")
    for mutation in chosen:
        if verdicts[mutation.id] == "survived":
            print(f"  survived: {mutation.id} ({mutation.why})")


if __name__ == "__main__":
    main()
