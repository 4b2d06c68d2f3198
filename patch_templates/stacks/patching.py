"""Source account, one operating system, deployed alone (`<os>_patch_baseline_maintenance_window.yml`):
patch baseline, maintenance window with its target and patching task, SNS alerts by e-mail, and the
scan and inventory associations.

Built from the same pieces as the StackSet members: the baseline from `baselines`, the rest from
`operations` in its STANDALONE form (the original parameters, an e-mail topic, names with the OS).
"""

from functools import partial

from troposphere import Ref, Template

from ..parts import baselines, operations
from ..parts.common import add_exported_outputs
from . import central_alerts
from .record import Record


def build(os_key: str) -> Template:
    os = baselines.OPERATING_SYSTEMS[os_key]
    t = Template(
        Description=(
            f"Source account, {os.title}: patch baseline, maintenance window with target and patching task, "
            "SNS alerts, and daily scan and inventory associations."
        )
    )
    organization = baselines.add_organization(t)
    baseline_parameters = baselines.add_parameters(t, os)
    parameters = operations.add_parameters(t, operations.STANDALONE)

    tags = baselines.tags(os, organization)
    notifications = operations.add_notifications(t, parameters, organization, os.title, tags)
    baseline = baselines.add_baseline(t, os_key, baseline_parameters, organization)
    patching = operations.add_operations(
        t, parameters, organization, tags, "-" + baselines.suffix(os_key), f"{os.title} patching", notifications
    )
    add_exported_outputs(
        t,
        [
            ("PatchBaselineId", "Id of the patch baseline", Ref(baseline)),
            *patching.outputs(),
            ("NotificationTopicArn", "ARN of the patching notification topic", Ref(notifications.topic)),
        ],
    )
    return t


# One template per operating system: operating system key -> its record.
RECORDS = {
    os_key: Record(
        f"{os_key}_patch_baseline_maintenance_window.yml",
        partial(build, os_key),
        step=3,
        account="single",
        does="standalone: baseline, window, task, scan, inventory, e-mail (one account)",
        feeds=(("operators (e-mail)", "failed patch runs: SNS e-mail"),),
        examples={"pNotificationEmailAddress": central_alerts.EXAMPLE_EMAIL},
    )
    for os_key in baselines.OPERATING_SYSTEMS
}
