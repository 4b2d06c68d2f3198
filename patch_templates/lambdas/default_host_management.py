"""Custom resource: Default Host Management Configuration in this account-Region. Create and Update
set SETTING to RoleValue only when it is unset or holds the role this stack set before; another
role is left and reported. So what was there before this stack is always unset, and Delete resets
SETTING when it holds this stack's role, whatever the physical id says: CloudFormation makes one up
for a Delete after a Create it cancelled in flight (aws-cloudformation/cloudformation-coverage-roadmap#1814).
Standard library, boto3 and custom_resource.py only: the build makes them the function's inline code."""

from .custom_resource import serve

SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
UNSET = "$None"  # the value while DHMC is off, as after ResetServiceSetting
CREATED = "DefaultHostManagement:previous=" + UNSET  # the physical id of every stack's resource


def handler(event, context):
    serve(event, context, apply, event.get("PhysicalResourceId") or CREATED)


def apply(request):
    event = request.event
    role = event["ResourceProperties"]["RoleValue"]
    ssm = request.client("ssm")
    current = request.call(ssm.get_service_setting, SettingId=SETTING)["ServiceSetting"]["SettingValue"]
    if event["RequestType"] == "Delete":
        if current == role:
            request.call(ssm.reset_service_setting, SettingId=SETTING)
            current, reason = UNSET, f"Reset {role}"
        else:
            reason = f"Left {current}: this stack did not set it"
    elif current == role:
        reason = f"Already {role}"
    elif current in (UNSET, event.get("OldResourceProperties", {}).get("RoleValue")):
        request.call(ssm.update_service_setting, SettingId=SETTING, SettingValue=role)
        current, reason = role, f"Set {role}, was {current}"
    else:
        reason = f"Left {current}, set by someone else; {role} not applied"
    return reason, request.physical_id, {"SettingValue": current}
