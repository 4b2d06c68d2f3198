"""What the generated reference needs that a template does not carry, and the generation itself.

Two hand-kept tables: where each file is deployed, in which step, what it does and which data
flows to other stacks (DEPLOYMENT); and example values for parameters without a usable default
(EXAMPLES, CANDIDATES, made of the PLACEHOLDERS that `make deploy` refuses). Everything else
comes from the templates: `pages` writes the Markdown pages and deploy commands, `pictures` the
Mermaid pictures, `preflight` the parameter constraints the deploy check reads.
"""

import json
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..deploy import rules
from ..parts import baselines, parameters
from ..parts.common import TEMPLATE_BODY_LIMIT, BuildError
from . import dashboard_picture

ACCOUNTS = {
    "management": "Management account (or StackSets delegated administrator)",
    "source": "Every member account × Region (deployed by the StackSets)",
    "collector": "Collector account",
}


@dataclass(frozen=True)
class Placement:
    step: int  # deployment order: all stacks of step 1 before any of step 2, ...
    account: str  # a key of ACCOUNTS
    feeds: tuple = ()  # (file name, what flows there) for data that leaves this stack
    does: str = ""  # what it does, in a few words, for the architecture picture


COLLECTOR = "resourcedatasync_s3bucket_bucketpolicy.yml"
SYNC = "resource_data_sync.yml"
ANALYTICS = "consolidated_billing_s3_glue_crawler_athena.yaml"
DHMC = "default_host_management.yml"
REPORTS = "compliance_reports.yaml"
DASHBOARD = "quicksight_dashboard.yaml"
PATCHING = [f"{os}_patch_baseline_maintenance_window.yml" for os in baselines.OPERATING_SYSTEMS]
# StackSet members of issue 9: one baseline per operating system, one set of operations.
BASELINES = [f"{os}_patch_baseline.yml" for os in baselines.OPERATING_SYSTEMS]
OPERATIONS = "patch_operations.yml"

# Where each template goes. Steps: 0 console set-up (no template), 1 collector bucket, 2 central
# alerts, 3 the StackSet and its members, 4 analytics, 5 reports, 6 QuickSight dashboard. The members are
# step 3: the StackSet deploys them, or one is deployed alone into one account.
DEPLOYMENT = {
    COLLECTOR: Placement(
        1,
        "collector",
        ((ANALYTICS, "Glue crawler reads the JSON"),),
        does="S3 bucket that receives every account's inventory and compliance",
    ),
    "central_alerts.yml": Placement(
        2,
        "collector",
        (("operators (e-mail / Slack)", "one readable alert per failure"),),
        does="central event bus, encrypted topic, one e-mail subscription",
    ),
    "patch_management_stackset.yml": Placement(
        3, "management", does="StackSets: the members into every account and Region of the OUs"
    ),
    "patch_now_administration.yml": Placement(
        3, "management", does="optional: patch-now runbook and administration role (make patch-now)"
    ),
    **{name: Placement(3, "source", does="patch baseline of one OS (one StackSet per OS)") for name in BASELINES},
    OPERATIONS: Placement(
        3,
        "source",
        (
            (SYNC, "scan and install on schedule: node compliance"),
            ("central_alerts.yml", "failed runs, non-compliant nodes: events"),
        ),
        does="one window, install task, scan and inventory for every OS",
    ),
    SYNC: Placement(
        3,
        "source",
        ((COLLECTOR, "inventory and compliance JSON"),),
        does="resource data sync: copies inventory and compliance to the bucket",
    ),
    DHMC: Placement(3, "source", does="Default Host Management: every EC2 instance a managed node"),
    # The design's standalone files: everything for one OS in one account, alerts by e-mail.
    **{
        name: Placement(
            3,
            "source",
            (("operators (e-mail)", "failed patch runs: SNS e-mail"),),
            does="standalone: baseline, window, task, scan, inventory, e-mail (one account)",
        )
        for name in PATCHING
    },
    ANALYTICS: Placement(
        4,
        "collector",
        (
            (REPORTS, "Glue database, tables and Athena workgroup, by export"),
            (DASHBOARD, "Athena workgroup and results bucket, by export"),
        ),
        does="Glue database, tables and crawler, Athena workgroup and results bucket",
    ),
    REPORTS: Placement(
        5,
        "collector",
        ((DASHBOARD, "compliance snapshot table, by export"),),
        does="fleet views, Athena reports and the daily compliance snapshot",
    ),
    DASHBOARD: Placement(6, "collector", does="QuickSight data sets, analysis and dashboard (optional)"),
}

# Invented identifiers the example parameter files use where a value is yours to give; `make
# deploy` refuses a parameter file that still holds one. 111122223333 stands for the collector,
# 444455556666 and 777788889999 for source accounts (the AWS documentation's example ids).
PLACEHOLDERS = (
    "111122223333",
    "444455556666",
    "777788889999",
    "example.com",
    "o-a1b2c3d4e5",
    "ou-ab12-",
    "1234abcd-12ab-34cd-56ef-1234567890ab",
)
# Example values that are real choices, valid as they stand (every other example holds a placeholder).
USABLE = ("us-east-1", "cron(0 4 ? * SUN *)", "Production", "inventory", "none")
# Example values for the parameter files. A parameter named here gets this value even over its
# default (an empty account list would break the collector's rule); any other parameter keeps
# its default, or else takes the first candidate its constraint accepts, its first allowed
# value, or its minimum.
EXAMPLES = {
    "pResourceDataSyncBucketName": "patch-inventory-111122223333",
    "pDataSourceAccountID": "444455556666,777788889999",
    "pBucketName": "patch-inventory-111122223333/inventory",
    "pNotificationEmailAddress": "patching@example.com",
    # Rollout waves 2 and 3 are off in the example (the sentinel none: no OUs).
    "pWave2OrganizationalUnitIds": "none",
    "pWave3OrganizationalUnitIds": "none",
    "pQuickSightPrincipalArn": "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
}
CANDIDATES = [
    "111122223333",
    "o-a1b2c3d4e5",
    "ou-ab12-cd34ef56",
    "us-east-1",
    "patching@example.com",
    "patch-inventory-111122223333",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
    "cron(0 4 ? * SUN *)",
    "Production",
    "inventory",
    "arn:aws:events:us-east-1:111122223333:event-bus/patch-alerts",
]


def placement(name: str) -> Placement:
    if name not in DEPLOYMENT:
        raise BuildError(f"{name} has no entry in DEPLOYMENT ({__name__}): add its step and account")
    return DEPLOYMENT[name]


def stem(name: str) -> str:
    return PurePosixPath(name).stem


# -- example parameter values -----------------------------------------------------------------


def grouped_parameters(template: dict) -> list[tuple[str, list[str]]]:
    """(console group label, parameter names) in the order the console shows them."""
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
    groups = [(g["Label"]["default"], list(g["Parameters"])) for g in interface.get("ParameterGroups", [])]
    grouped = {name for _, names in groups for name in names}
    rest = [name for name in template.get("Parameters", {}) if name not in grouped]
    return groups + ([("Other parameters", rest)] if rest else [])


def text(value) -> str:
    """A parameter value as CloudFormation shows it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def example_value(name: str, definition: dict) -> str:
    if name in EXAMPLES:
        return EXAMPLES[name]
    if "Default" in definition:
        return text(definition["Default"])
    if "AllowedValues" in definition:
        return text(definition["AllowedValues"][0])
    if definition["Type"] == "Number" and "MinValue" in definition:
        return text(definition["MinValue"])
    for candidate in CANDIDATES:
        if parameters.violation(definition, candidate) is None:
            return candidate
    raise BuildError(f"no example value for {name}: add one to EXAMPLES or CANDIDATES in {__name__}")


def example_parameters(file_name: str, template: dict) -> list[dict]:
    """The create-stack parameter list, every parameter in console order, each value checked
    against its constraint and the template's Rules."""
    definitions = template.get("Parameters", {})
    values = {
        name: example_value(name, definitions[name]) for _, names in grouped_parameters(template) for name in names
    }
    problems = [
        f"{name}={value!r}: {why}"
        for name, value in values.items()
        if (why := parameters.violation(definitions[name], value))
    ]
    try:
        problems += rules.failures(template, values)
    except ValueError as error:
        raise BuildError(f"cannot check the Rules of {file_name} against its example parameters: {error}") from None
    if problems:
        raise BuildError(f"example parameters of {file_name} are refused: " + "; ".join(problems))
    return [{"ParameterKey": name, "ParameterValue": value} for name, value in values.items()]


def generate(templates: dict[str, dict], texts: dict[str, str] | None = None) -> dict[str, str]:
    """Relative path -> text: 'output/parameters/*.json', 'output/constraints.json' and 'docs/...'
    for these templates (`texts`: their YAML as written to output/, which finds StackSet members
    without parsing)."""
    from ..deploy import preflight
    from . import pages, pictures  # they read the tables above

    for name in templates:
        placement(name)
    examples = {name: example_parameters(name, t) for name, t in templates.items()}
    members = {name: pictures.stackset_members(t, templates, texts) for name, t in templates.items()}
    files = {f"output/parameters/{stem(name)}.json": json.dumps(examples[name], indent=2) + "\n" for name in templates}
    files[f"output/{preflight.CONSTRAINTS.name}"] = preflight.constraints_file(templates, PLACEHOLDERS)
    files["docs/parameters.md"] = pages.parameters_markdown(templates, examples)
    files["docs/architecture.md"] = pages.architecture_markdown(templates, members)
    for name, template in templates.items():
        through_s3 = len((texts or {}).get(name, "").encode()) > TEMPLATE_BODY_LIMIT
        files[f"docs/templates/{stem(name)}.md"] = pages.template_markdown(
            name, template, members, examples[name], through_s3
        )
    files.update(dashboard_picture.files(templates))
    return files
