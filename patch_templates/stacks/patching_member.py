"""StackSet member, one per account-Region of a rollout wave: everything that patches, in one stack.

- A patch baseline per operating system, each switched by pDeploy<Os> (Windows on by default),
  each the default baseline of its OS in the account-Region (pDefaultBaseline true), so that nodes
  in no patch group (untagged) are patched with it, not with AWS's predefined baseline; each
  registered for the patch groups pPatchGroups, which the StackSet gives one value per deployment
  and wave (stacks/stackset.py), so registrations never collide across waves or with a patch group
  the account already uses.
- ONE set of operations whatever the operating systems (parts/operations.py, MEMBER): maintenance
  window, target, install task, scan and inventory association. A node with two inventory
  associations runs neither (Systems Manager user guide, "Troubleshooting problems with Systems
  Manager Inventory"), and two install tasks on the same nodes fight over the package manager and
  reboots, so these exist once; AWS-RunPatchBaseline applies on each node its own OS's baseline.
  By default the window targets every EC2 instance of the account-Region and the associations every
  managed node, without a tag.
- The rules that forward patching alerts to the collector's central bus (parts/alerts.py). No
  e-mail: one confirmation in the collector account in total.

Safe in every account: the task and the automation role are names, and the ARNs are built here with
this account and Region; optional values are the sentinel `none`, never empty.
"""

from troposphere import Equals, Ref, Tags, Template

from ..deploy.calendar import ROLLOUT_DEFAULTS
from ..parts import alerts, baselines, operations, parameters as p
from ..parts.common import add_exported_outputs
from . import central_alerts, shared_member
from .record import Member, Record

SWITCHES = "Operating Systems"
# The StackSet's defaults where they differ from the standalone templates' (the original design's):
# each baseline the default of its OS, and wave 1's approval delay of the patch calendar.
BASELINE_DEFAULTS = {"pDefaultBaseline": "true", "pApproveAfterDays": ROLLOUT_DEFAULTS[0].approve_after_days[0]}
# AWS's predefined Windows baseline, AWS-DefaultPatchBaseline ("Predefined and custom patch baselines",
# Patch Manager user guide): every product, CriticalUpdates and SecurityUpdates (the monthly
# cumulative updates are SecurityUpdates), Critical and Important; and a node missing a security
# update that no rule approves (yet) is reported non-compliant rather than compliant.
OS_DEFAULTS = {
    "windows": {
        "pProduct": "*",
        "pClassification": "CriticalUpdates,SecurityUpdates",
        "pSeverity": "Critical,Important",
        "pAvailableSecurityUpdatesComplianceStatus": "NON_COMPLIANT",
    }
}


def key(os_key: str) -> str:
    """amazon_linux_2 -> AmazonLinux2: the OS part of parameter, condition and logical ids."""
    return "".join(word.capitalize() for word in os_key.split("_"))


def build() -> Template:
    t = Template(
        Description=(
            "Source account (StackSet member, one per rollout wave): a patch baseline per operating system "
            "switched on, each the default of its OS; one maintenance window with target and install task, one "
            "patch scan and one inventory association for every operating system in this account and Region; "
            "and the rules that forward patching alerts to the central bus."
        )
    )
    organization = baselines.add_organization(t, operations.WINDOW_GROUP)
    parameters = operations.add_parameters(t, operations.MEMBER)
    patching = operations.add_operations(t, parameters, organization, Tags(Organization=Ref(organization)))
    alerts.add_forwarding(t, central_alerts.RECORD.file, window=patching.window)
    outputs = patching.outputs()
    for os_key, os in baselines.OPERATING_SYSTEMS.items():
        switch = p.add(
            t,
            f"pDeploy{key(os_key)}",
            SWITCHES,
            os.title,
            Default=str(os_key == "windows").lower(),
            Description=f"true creates the {os.title} patch baseline.",
            **p.BOOLEAN,
        )
        condition = t.add_condition(f"Deploy{key(os_key)}", Equals(Ref(switch), "true"))
        defaults = BASELINE_DEFAULTS | OS_DEFAULTS.get(os_key, {})
        baseline_parameters = baselines.add_parameters(t, os, key(os_key), defaults)
        baseline = baselines.add_baseline(
            t, os_key, baseline_parameters, organization, f"{key(os_key)}PatchBaseline", condition
        )
        outputs.append((f"{key(os_key)}PatchBaselineId", f"Id of the {os.title} patch baseline", Ref(baseline)))
    add_exported_outputs(t, outputs)
    for name, output in t.outputs.items():
        if name.endswith("PatchBaselineId"):
            output.Condition = t.resources[name.removesuffix("Id")].Condition
    return t


RECORD = Record(
    "patching_member.yml",
    build,
    step=3,
    account="source",
    does="every OS's baseline, one window, install task, scan and inventory (one StackSet per wave)",
    feeds=(
        (shared_member.RECORD, "scan and install on schedule: node compliance"),
        (central_alerts.RECORD, "failed runs, non-compliant nodes: events"),
    ),
    member=Member("Patching", "Patching (baselines, window, task, scan, inventory)", "patching", waves=True),
)
