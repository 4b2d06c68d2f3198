"""The generated reference: every file the build writes besides the templates. Where a template is
deployed, what it does and its example values come from its record (stacks/record.py), everything
else from the templates: `examples` writes the example parameter files, `pages` the Markdown pages
and deploy commands, `pictures` the Mermaid pictures, `dashboard_picture` the dashboard sheets,
`preflight` the parameter constraints the deploy check reads, `teardown` the stacks make teardown deletes.
"""

import json
from collections.abc import Sequence

from ..deploy import preflight, teardown
from ..parts.common import TEMPLATE_BODY_LIMIT
from ..stacks import stackset
from ..stacks.record import BY_NAME, Record
from . import dashboard_picture, limits, pages, pictures, rollout
from .examples import PLACEHOLDERS, example_parameters


def generate(
    records: Sequence[Record], templates: dict[str, dict], texts: dict[str, str] | None = None
) -> dict[str, str]:
    """Relative path -> text: 'output/parameters/*.json', 'output/constraints.json' and 'docs/...'
    for the templates of these records (`templates` by file name; `texts`: their YAML as written to
    output/, which finds StackSet members without parsing)."""
    by_file = {record.file: record for record in records}
    examples = {record.file: example_parameters(record, templates[record.file]) for record in records}
    members = {
        name: [(logical_id, by_file[file]) for logical_id, file in pictures.stackset_members(t, templates, texts)]
        for name, t in templates.items()
    }
    files = {
        f"output/parameters/{record.stem}.json": json.dumps(examples[record.file], indent=2) + "\n"
        for record in records
    }
    uploads = stackset.uploads(texts) if texts and stackset.RECORD.file in texts else {}
    calendar_waves = {stackset.RECORD.file: stackset.calendar_waves()} if stackset.RECORD.file in templates else {}
    files[f"output/{preflight.CONSTRAINTS.name}"] = preflight.constraints_file(
        templates, PLACEHOLDERS, uploads, calendar_waves
    )
    files[f"output/{teardown.PLAN.name}"] = teardown.plan_file(teardown_stacks(records, templates))
    files["docs/parameters.md"] = pages.parameters_markdown(records, templates, examples)
    files["docs/architecture.md"] = pages.architecture_markdown(records, templates, members)
    if texts:  # the sizes are those of the YAML written
        files[limits.PAGE] = limits.limits_markdown(records, templates, texts)
    for record in records:
        through_s3 = len((texts or {}).get(record.file, "").encode()) > TEMPLATE_BODY_LIMIT
        files[f"docs/templates/{record.stem}.md"] = pages.template_markdown(
            record, templates[record.file], members, examples[record.file], through_s3
        )
    files.update(dashboard_picture.files(templates))
    if texts and stackset.RECORD.file in texts:
        values = {p["ParameterKey"]: p["ParameterValue"] for p in examples[stackset.RECORD.file]}
        files["docs/rollout.md"] = rollout.markdown(templates, texts, values)
    return files


# CloudFormation's default when a key's template sets no PendingWindowInDays (AWS::KMS::Key, CloudFormation
# User Guide).
KMS_PENDING_DAYS = 30


def teardown_stacks(records: Sequence[Record], templates: dict[str, dict]) -> list[dict]:
    """What make teardown needs to know of each stack deployed by name (not by the StackSets), in
    deployment order: its name, the buckets it retains, its KMS keys' pending-deletion days, whether
    it holds QuickSight assets (whose subscription only a person ends)."""
    stacks = []
    for record in records:
        if record.account not in BY_NAME:
            continue
        resources = templates[record.file].get("Resources", {})
        stacks.append(
            {
                "stack": record.stack,
                "template": record.file,
                "account": record.account,
                "step": record.step,
                "buckets": sorted(
                    logical_id
                    for logical_id, r in resources.items()
                    if r["Type"] == "AWS::S3::Bucket" and r.get("DeletionPolicy") == "Retain"
                ),
                "keys": {
                    logical_id: r.get("Properties", {}).get("PendingWindowInDays", KMS_PENDING_DAYS)
                    for logical_id, r in resources.items()
                    if r["Type"] == "AWS::KMS::Key"
                },
                "quicksight": any(r["Type"].startswith("AWS::QuickSight::") for r in resources.values()),
            }
        )
    return stacks
