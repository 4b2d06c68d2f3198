"""Custom resource: Default Host Management Configuration in this account-Region. Sets SETTING
to RoleValue only when unset or holding a role it set; another role is left and reported. Delete
puts back the value it replaced (in the physical id) if SETTING still holds its role. Answers
CloudFormation once on every path, as the crawler initializer does. Stdlib and boto3 only."""
import json
import threading
import urllib.request

import boto3

MARGIN_MS = 5000  # answer this long before the Lambda times out
SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
UNSET = "$None"  # the value while DHMC is off, as after ResetServiceSetting
PREFIX = "DefaultHostManagement:previous="  # every physical id it answers


def answer(event, context, status, reason, physical_id, data, lock=threading.Lock(), sent=set()):
    """PUT the response to the ResponseURL; only the first call per request counts."""
    with lock:
        if event.get("RequestId") in sent:
            return
        sent.add(event.get("RequestId"))
    body = json.dumps({
        "Status": status,
        "Reason": reason[:800] + " (log stream: " + context.log_stream_name + ")",
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "Data": data,
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": ""})
    print(status, reason)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except Exception:
        sent.discard(event.get("RequestId"))  # let Lambda's retry answer
        raise


def apply(kind, role, old_role, previous):
    """-> (previous value to keep, setting value now, reason)"""
    ssm = boto3.client("ssm")
    current = ssm.get_service_setting(SettingId=SETTING)["ServiceSetting"]["SettingValue"]
    if kind == "Delete":
        if current != role:
            return previous, current, f"Left {current}: this stack did not set it"
        if previous == UNSET:
            ssm.reset_service_setting(SettingId=SETTING)
        else:
            ssm.update_service_setting(SettingId=SETTING, SettingValue=previous)
        return previous, previous, f"Put back {previous}"
    if current == role:
        return previous, role, f"Already {role}"
    if current not in (UNSET, old_role):
        return previous, current, f"Left {current}, set by someone else; {role} not applied"
    ssm.update_service_setting(SettingId=SETTING, SettingValue=role)
    return previous if current == old_role else current, role, f"Set {role}, was {current}"


def handler(event, context):
    if "ResponseURL" not in event:  # nobody to answer: not a CloudFormation request
        print("Ignored event without ResponseURL:", json.dumps(event)[:500])
        return
    physical_id = event.get("PhysicalResourceId") or PREFIX + UNSET
    timer = threading.Timer(max(context.get_remaining_time_in_millis() - MARGIN_MS, 0) / 1000, answer,
                            (event, context, "FAILED", "Timed out on " + SETTING, physical_id, {}))
    timer.daemon = True
    timer.start()
    data = {}
    try:
        kind = event["RequestType"]
        if kind not in ("Create", "Update", "Delete"):
            raise ValueError("Unknown RequestType " + repr(kind))
        previous, value, reason = apply(kind, event["ResourceProperties"]["RoleValue"],
                                        event.get("OldResourceProperties", {}).get("RoleValue"),
                                        physical_id.removeprefix(PREFIX))
        physical_id, data, status = PREFIX + previous, {"SettingValue": value}, "SUCCESS"
    except Exception as error:  # noqa: BLE001 - any error must still be answered
        status, reason = "FAILED", type(error).__name__ + ": " + str(error)
    finally:
        timer.cancel()
    answer(event, context, status, reason, physical_id, data)
