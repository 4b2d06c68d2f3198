"""The StackSet's shared member (stacks/shared_member.py): the resource data sync, Default Host
Management behind its switch and patch now's execution role, in one stack per account-Region."""

from conftest import OUTPUT, check_constraint, render, template_dict, violation
from test_stackset import REQUIRED

from patch_templates.stacks import default_host_management, resource_data_sync, shared_member, stackset

NAME = shared_member.RECORD
SYNC = {"pResourceDataSyncBucketName": "central-inventory-bucket", "pCollectorAccountId": "111122223333"}
PATCH_NOW = {
    "pEnablePatchNow": "true",
    "pPatchNowAdministrationAccountId": "444455556666",
    "pPatchNowRoleRegion": "eu-west-1",
}


def test_it_holds_the_sync_default_host_management_and_the_patch_now_role():
    resources = set(template_dict(NAME)["Resources"])
    sync, dhmc = (set(template_dict(r.RECORD)["Resources"]) for r in (resource_data_sync, default_host_management))
    assert resources == sync | dhmc | {"PatchNowExecutionRole"}
    parameters = template_dict(NAME)["Parameters"]
    for record in (resource_data_sync.RECORD, default_host_management.RECORD):
        for name, definition in template_dict(record)["Parameters"].items():
            if name.endswith("KMSKeyArn"):  # standalone it also takes '', as a member none only
                assert violation(definition, "") is None and violation(parameters[name], "") is not None
                definition = {**definition, "AllowedPattern": parameters[name]["AllowedPattern"]}
            assert parameters[name] == definition, name


def test_default_host_management_is_on_by_default_and_off_entirely_when_switched_off():
    dhmc = set(template_dict(default_host_management.RECORD)["Resources"])
    on = render(NAME, SYNC, region="eu-west-1")
    assert dhmc <= set(on["Resources"]) and "ResourceDataSync" in on["Resources"]
    assert {"DefaultHostManagementRoleName", "DefaultHostManagementSetting"} <= set(on["Outputs"])
    off = render(NAME, {**SYNC, "pEnableDefaultHostManagement": "false"}, region="eu-west-1")
    assert not dhmc & set(off["Resources"]) and "ResourceDataSync" in off["Resources"]
    assert not {"DefaultHostManagementRoleName", "DefaultHostManagementSetting"} & set(off["Outputs"])
    assert template_dict(NAME)["Parameters"]["pEnableDefaultHostManagement"]["Default"] == "true"


def test_the_patch_now_role_only_when_switched_on_and_in_its_region():
    assert "PatchNowExecutionRole" not in render(NAME, SYNC, region="eu-west-1")["Resources"]
    assert "PatchNowExecutionRole" not in render(NAME, {**SYNC, **PATCH_NOW}, region="us-east-1")["Resources"]
    assert "PatchNowExecutionRole" in render(NAME, {**SYNC, **PATCH_NOW}, region="eu-west-1")["Resources"]


def test_the_stackset_sends_it_inline_to_every_wave_with_named_iam():
    properties = render(stackset.RECORD, REQUIRED)["Resources"]["SharedStackSet"]["Properties"]
    assert properties["TemplateBody"] == (OUTPUT / NAME.file).read_text()
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]  # the patch-now role's fixed name
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in properties["Parameters"]}
    assert passed["pEnableDefaultHostManagement"] == "true" and passed["pLogsKMSKeyArn"] == "none"
    assert passed["pResourceDataSyncBucketName"] == "central-inventory-bucket"


def test_the_switch_refuses_bad_values():
    bad = ["", "True", "yes", "1", "on"]
    for name in (NAME, stackset.RECORD):
        assert check_constraint(name, "pEnableDefaultHostManagement", ["true", "false"], bad) == len(bad)
