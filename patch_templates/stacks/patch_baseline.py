"""StackSet member, one per operating system: that OS's patch baseline only, registered for the
patch groups (`<os>_patch_baseline.yml`). The one maintenance window of the operations member
(stacks/patch_operations.py) patches every OS: AWS-RunPatchBaseline applies on each node the baseline registered for the node's
patch group and OS."""

from functools import partial

from troposphere import Ref, Template

from ..parts import baselines
from ..parts.common import add_exported_outputs
from . import patch_operations
from .record import Member, Record


def build(os_key: str) -> Template:
    os = baselines.OPERATING_SYSTEMS[os_key]
    t = Template(
        Description=(
            f"Source account, {os.title}: the patch baseline registered for the patch groups (StackSet member; "
            f"{patch_operations.RECORD.file} patches every operating system with it)."
        )
    )
    organization = baselines.add_organization(t)
    baseline = baselines.add_baseline(t, os_key, baselines.add_parameters(t, os), organization)
    add_exported_outputs(t, [("PatchBaselineId", "Id of the patch baseline", Ref(baseline))])
    return t


# One member per operating system (Windows deployed by default): operating system key -> its record.
RECORDS = {
    os_key: Record(
        f"{os_key}_patch_baseline.yml",
        partial(build, os_key),
        step=3,
        account="source",
        does="patch baseline of one OS (one StackSet per OS)",
        member=Member(
            "".join(word.capitalize() for word in os_key.split("_")),
            f"{os.title} patch baseline",
            f"{baselines.suffix(os_key)}-patch-baseline",
            deploy=os_key == "windows",
            waves=True,
        ),
    )
    for os_key, os in baselines.OPERATING_SYSTEMS.items()
}
