"""StackSet member: ONE set of patch operations per account-Region, whatever the operating systems:
maintenance window, target, install task, scan association and inventory association. A node with
two inventory associations runs neither (Systems Manager user guide, "Troubleshooting problems with
Systems Manager Inventory"), and two install tasks on the same nodes fight over the package manager
and reboots, so these exist once; each OS's baseline comes from its own member
(stacks/patch_baseline.py). No SNS e-mail: patch events go to the collector's central bus.

Safe in every account: the task and the automation role are names, and the ARNs are built here
with this account and Region; optional values are the sentinel `none`, never empty.
"""

from troposphere import Ref, Tags, Template

from ..parts import alerts, baselines, operations
from ..parts.common import add_exported_outputs
from . import central_alerts, resource_data_sync
from .record import Member, Record


def build() -> Template:
    t = Template(
        Description=(
            "Source account: one maintenance window with target and install task, one patch scan and one "
            "inventory association for every operating system in this account and Region, and the rules that "
            "forward patching alerts to the central bus (StackSet member)."
        )
    )
    organization = baselines.add_organization(t, operations.WINDOW_GROUP)
    parameters = operations.add_parameters(t, operations.MEMBER)
    patching = operations.add_operations(t, parameters, organization, Tags(Organization=Ref(organization)))
    alerts.add_forwarding(t, central_alerts.RECORD.file, window=patching.window)
    add_exported_outputs(t, patching.outputs())
    return t


RECORD = Record(
    "patch_operations.yml",
    build,
    step=3,
    account="source",
    does="one window, install task, scan and inventory for every OS",
    feeds=(
        (resource_data_sync.RECORD, "scan and install on schedule: node compliance"),
        (central_alerts.RECORD, "failed runs, non-compliant nodes: events"),
    ),
    member=Member(
        "PatchOperations", "Patch operations (window, task, scan, inventory)", "patch-operations", waves=True
    ),
)
