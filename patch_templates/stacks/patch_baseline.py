"""StackSet member, one per operating system: that OS's patch baseline only, registered for the
patch groups (`<os>_patch_baseline.yml`). The one maintenance window of `patch_operations.yml`
patches every OS: AWS-RunPatchBaseline applies on each node the baseline registered for the node's
patch group and OS."""

from troposphere import Ref, Template

from ..parts import baselines
from ..parts.common import add_exported_outputs


def file_name(os_key: str) -> str:
    return f"{os_key}_patch_baseline.yml"


def build(os_key: str = "windows") -> Template:
    os = baselines.OPERATING_SYSTEMS[os_key]
    t = Template(
        Description=(
            f"Source account, {os.title}: the patch baseline registered for the patch groups (StackSet member; "
            "patch_operations.yml patches every operating system with it)."
        )
    )
    baselines.add_organization(t)
    baselines.add_parameters(t, os)
    baseline = baselines.add_baseline(t, os_key)
    add_exported_outputs(t, [("PatchBaselineId", "Id of the patch baseline", Ref(baseline))])
    return t
