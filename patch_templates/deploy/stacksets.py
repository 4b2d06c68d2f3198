"""The StackSets of a stack, followed with the AWS CLI and the Python standard library alone:
`make status`, `make wait`, `make retry` and `make drift` (and the wait after `make deploy`).

    python3 -m patch_templates.deploy.stacksets --stack=NAME [--aws=aws] [--region R] [--profile P]
        [--timeout=MINUTES] [--dry-run] {status,wait,retry,drift} [--after-deploy=EXIT]

- status: the stack's status, and per StackSet of the stack (its AWS::CloudFormation::StackSet
  resources) the last operation, its instances counted by status, detailed status and drift, and
  the first failures with account, Region and reason.
- wait: polls every 30 seconds until the stack and every StackSet operation have ended (no cap
  but --timeout), printing progress, then prints the status; exit 0 only when all succeeded.
  --after-deploy=EXIT is `aws cloudformation deploy`'s exit status: when it failed and nothing is
  in progress, the deploy itself failed; when the stack is still in progress, the CLI only stopped
  waiting (after 60 minutes, awscli deployer.wait_for_execute) and this waits on.
- retry: update-stack-instances for the failed (FAILED or CANCELLED) instances of every StackSet,
  with the operation preferences of the operation that failed them.
- drift: detect-stack-set-drift on every StackSet.
Each command that changes something is printed before it runs; --dry-run prints the commands
(with <StackSet> for each StackSet's id) and runs none.
"""

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections import Counter

from .preflight import tool_parser

# The StackSet template's parameter that says how its StackSets are called (stacks/stackset.py).
CALL_AS_PARAMETER = "pCallAs"
ACTIVE = ("RUNNING", "QUEUED", "STOPPING")
DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
RETRIED = ("FAILED", "CANCELLED")
PROBLEMS = ("FAILED", "CANCELLED", "INOPERABLE", "FAILED_IMPORT")
SHOWN_FAILURES = 5
POLL_SECONDS = 30  # as aws-cli's own deploy waiter: polling faster risks DescribeStacks throttling


# What --dry-run answers instead of AWS: one StackSet with one failed instance, so that every
# command an action can run is printed, with <...> for what AWS would tell.
DRY_RUN_ANSWERS = {
    "describe-stacks": {
        "Stacks": [
            {
                "StackStatus": "<status>",
                "Parameters": [{"ParameterKey": CALL_AS_PARAMETER, "ParameterValue": "<CallAs>"}],
            }
        ]
    },
    "list-stack-resources": {
        "StackResourceSummaries": [
            {
                "LogicalResourceId": "<LogicalId>",
                "PhysicalResourceId": "<StackSet>",
                "ResourceType": "AWS::CloudFormation::StackSet",
            }
        ]
    },
    "list-stack-instances": {
        "Summaries": [
            {
                "Account": "<account>",
                "Region": "<region>",
                "OrganizationalUnitId": "<ou>",
                "LastOperationId": "<operation>",
                "StackInstanceStatus": {"DetailedStatus": "FAILED"},
            }
        ]
    },
    "describe-stack-set-operation": {
        "StackSetOperation": {"OperationPreferences": {"MaxConcurrentPercentage": "<as the operation that failed>"}}
    },
}


class Failed(Exception):
    """An AWS CLI command failed or printed what is not JSON."""


class Aws:
    """The AWS CLI (the Makefile's AWS) for one service, with the Region and profile options, answering JSON."""

    def __init__(self, command: str, options: list[str], dry_run: bool = False, service: str = "cloudformation"):
        self.command = shlex.split(command)
        self.options = options
        self.dry_run = dry_run
        self.service = service

    def argv(self, operation: str, *args: str) -> list[str]:
        return [*self.command, self.service, operation, *args, *self.options, "--output", "json"]

    def __call__(self, operation: str, *args: str, echo: bool = False, dry_run_answer: dict | None = None) -> dict:
        """The JSON the command prints; under dry run it prints the command and gives `dry_run_answer`
        (by default what DRY_RUN_ANSWERS holds for the operation)."""
        argv = self.argv(operation, *args)
        if echo or self.dry_run:
            print(shlex.join(argv), flush=True)
        if self.dry_run:
            return json.loads(json.dumps(dry_run_answer or DRY_RUN_ANSWERS.get(operation, {})))
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode:
            raise Failed(f"{shlex.join(argv)} failed: {result.stderr.strip() or result.stdout.strip()}")
        try:
            return json.loads(result.stdout or "{}")
        except ValueError:
            raise Failed(f"{shlex.join(argv)} printed what is not JSON: {result.stdout[:200]!r}") from None


class Stack:
    """One stack and its StackSets, as the AWS CLI shows them."""

    def __init__(self, aws: Aws, name: str):
        self.aws = aws
        self.name = name

    def say(self, text: str) -> None:
        """Print a finding (not under --dry-run, where there are none)."""
        if not self.aws.dry_run:
            print(text, flush=True)

    def describe(self) -> dict:
        return self.aws("describe-stacks", "--stack-name", self.name)["Stacks"][0]

    def stacksets(self, described: dict) -> list[tuple[str, str, str]]:
        """(logical id, StackSet id, CallAs) of each StackSet resource that has been created."""
        values = {p["ParameterKey"]: p.get("ParameterValue") for p in described.get("Parameters", [])}
        call_as = values.get(CALL_AS_PARAMETER) or "SELF"
        resources = self.aws("list-stack-resources", "--stack-name", self.name).get("StackResourceSummaries", [])
        return [
            (r["LogicalResourceId"], r["PhysicalResourceId"], call_as)
            for r in resources
            if r["ResourceType"] == "AWS::CloudFormation::StackSet" and r.get("PhysicalResourceId")
        ]

    def last_operation(self, stackset: str, call_as: str) -> dict | None:
        found = self.aws(
            "list-stack-set-operations", "--stack-set-name", stackset, "--call-as", call_as, "--max-items", "1"
        )
        return (found.get("Summaries") or [None])[0]

    def instances(self, stackset: str, call_as: str) -> list[dict]:
        return self.aws("list-stack-instances", "--stack-set-name", stackset, "--call-as", call_as).get("Summaries", [])


def detailed(instance: dict) -> str:
    return instance.get("StackInstanceStatus", {}).get("DetailedStatus", "UNKNOWN")


def counted(values) -> str:
    return ", ".join(f"{key} {count}" for key, count in sorted(Counter(values).items())) or "none"


def report(stack: Stack) -> bool:
    """Print the status of the stack and its StackSets; True when everything succeeded."""
    described = stack.describe()
    status = described["StackStatus"]
    reason = described.get("StackStatusReason")
    stack.say(f"stack {stack.name}: {status}" + (f" ({reason})" if reason else ""))
    good = status in DONE
    stacksets = stack.stacksets(described)
    if not stacksets:
        stack.say("  no StackSets created")
    for logical_id, stackset, call_as in stacksets:
        operation = stack.last_operation(stackset, call_as) or {}
        instances = stack.instances(stackset, call_as)
        stack.say(f"StackSet {stackset} ({logical_id})")
        if operation:
            stack.say(
                f"  last operation: {operation.get('Action')} {operation.get('Status')}"
                f" {operation.get('EndTimestamp') or operation.get('CreationTimestamp', '')}"
                + (f" ({operation['StatusReason']})" if operation.get("StatusReason") else "")
            )
        stack.say(
            f"  {len(instances)} instances: {counted(i.get('Status') for i in instances)}"
            f" | {counted(detailed(i) for i in instances)} | drift {counted(i.get('DriftStatus') for i in instances)}"
        )
        failures = [i for i in instances if detailed(i) in PROBLEMS]
        for instance in failures[:SHOWN_FAILURES]:
            stack.say(
                f"  {detailed(instance)} {instance.get('Account')} {instance.get('Region')}: "
                f"{instance.get('StatusReason', 'no reason given')}"
            )
        if len(failures) > SHOWN_FAILURES:
            stack.say(f"  ... and {len(failures) - SHOWN_FAILURES} more")
        good = good and operation.get("Status") not in ("FAILED", "STOPPED") and not failures
    if not good:
        stack.say(f"failed instances are retried by: make retry STACK={stack.name}")
    return good


def wait(stack: Stack, timeout: int | None, after_deploy: int | None, interval: float = POLL_SECONDS) -> int:
    """Poll until the stack and every StackSet operation have ended, then report; the exit status."""
    start = time.monotonic()
    polls = 0
    while True:
        described = stack.describe()
        status = described["StackStatus"]
        running = [
            stackset
            for _, stackset, call_as in stack.stacksets(described)
            if (stack.last_operation(stackset, call_as) or {}).get("Status") in ACTIVE
        ]
        busy = (status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS") or running
        polls += 1
        if after_deploy and polls == 1:
            if not busy:
                report(stack)
                stack.say(f"the deploy failed (exit status {after_deploy}): see above and the stack's events")
                return after_deploy
            stack.say("the AWS CLI stopped waiting, the deploy goes on: waiting for it to end")
        if not busy or stack.aws.dry_run:
            break
        minutes = (time.monotonic() - start) / 60
        stack.say(f"{minutes:4.0f} min: stack {status}; StackSet operations in progress: {len(running)}")
        if timeout and minutes >= timeout:
            stack.say(f"still running after {timeout} minutes and going on: make wait STACK={stack.name} waits again")
            return 2
        time.sleep(interval)
    if stack.aws.dry_run:
        print(f"# again every {interval:g} seconds while anything is in progress; then:")
    return 0 if report(stack) or stack.aws.dry_run else 1


def retry(stack: Stack) -> int:
    """Retry the failed instances of every StackSet: one update-stack-instances per set of Regions,
    with the operation preferences of the operation that failed them."""
    retried = 0
    for _, stackset, call_as in stack.stacksets(stack.describe()):
        failed = [i for i in stack.instances(stackset, call_as) if detailed(i) in RETRIED]
        if not failed:
            continue
        preferences = {}
        if failed[0].get("LastOperationId"):
            operation = stack.aws(
                "describe-stack-set-operation",
                *("--stack-set-name", stackset, "--call-as", call_as, "--operation-id", failed[0]["LastOperationId"]),
            )
            preferences = operation.get("StackSetOperation", {}).get("OperationPreferences", {})
            preferences.pop("RegionOrder", None)  # it may name Regions this retry does not touch
        regions_of: dict[str, set[str]] = {}
        for instance in failed:
            regions_of.setdefault(instance["Account"], set()).add(instance["Region"])
        groups: dict[tuple[str, ...], list[str]] = {}
        for account, account_regions in sorted(regions_of.items()):
            groups.setdefault(tuple(sorted(account_regions)), []).append(account)
        for regions, accounts in groups.items():
            units = sorted({i["OrganizationalUnitId"] for i in failed if i["Account"] in accounts} - {None})
            # Service-managed StackSets: these accounts of their OUs (DeploymentTargets, INTERSECTION).
            targets = {"OrganizationalUnitIds": units, "Accounts": accounts, "AccountFilterType": "INTERSECTION"}
            args = ["--deployment-targets", json.dumps(targets), "--regions", *regions]
            if preferences:
                args += ["--operation-preferences", json.dumps(preferences)]
            stack.aws("update-stack-instances", "--stack-set-name", stackset, "--call-as", call_as, *args, echo=True)
            retried += len(accounts) * len(regions)
    stack.say(
        f"stack instances retried: {retried}" + (f"; make wait STACK={stack.name} follows them" if retried else "")
    )
    return 0


def drift(stack: Stack) -> int:
    """Start drift detection on every StackSet of the stack."""
    stacksets = stack.stacksets(stack.describe())
    for _, stackset, call_as in stacksets:
        stack.aws("detect-stack-set-drift", "--stack-set-name", stackset, "--call-as", call_as, echo=True)
    stack.say(f"drift detection started on {len(stacksets)} StackSet(s): make wait, then make status, shows it")
    return 0


def main(argv=None) -> int:
    parser = tool_parser("patch_templates.deploy.stacksets", __doc__)
    parser.add_argument("action", choices=("status", "wait", "retry", "drift"))
    parser.add_argument("--stack", required=True)
    parser.add_argument("--aws", default="aws", help="the AWS CLI command")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--timeout", type=int, help="minutes the wait lasts at most")
    parser.add_argument("--after-deploy", type=int, help="the exit status of aws cloudformation deploy")
    parser.add_argument("--interval", type=float, default=POLL_SECONDS, help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run none")
    args = parser.parse_args(argv)
    options = [
        *(["--region", args.region] if args.region else []),
        *(["--profile", args.profile] if args.profile else []),
    ]
    stack = Stack(Aws(args.aws, options, args.dry_run), args.stack)
    try:
        if args.action == "status":
            report(stack)  # the exit status says whether the CLI answered, not whether all succeeded
            return 0
        if args.action == "wait":
            return wait(stack, args.timeout, args.after_deploy, args.interval)
        return retry(stack) if args.action == "retry" else drift(stack)
    except Failed as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
