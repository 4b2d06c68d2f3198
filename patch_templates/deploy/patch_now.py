"""`make patch-now`: scan or install patches now, outside the maintenance windows, in OUs or accounts
× Regions, as ONE multi-account, multi-Region Automation run, with the Python standard library alone.

    python3 -m patch_templates.deploy.patch_now check --TARGETS=... --REGIONS=... [--OPERATION=Scan] ...
        every value checked first; prints the shell-quoted arguments of
        `aws ssm start-automation-execution`, or refuses (exit 1) naming the value and the problem
    python3 -m patch_templates.deploy.patch_now share [--aws=COMMAND] -- ARGUMENTS
        shares the runbook that those arguments start with every active account of the organization,
        in each target Region, before the run starts

Where things live (Systems Manager user guide, "Running automations in multiple AWS Regions and
accounts"): the run starts in the management account or a delegated administrator, as the
administration role, and runs in each target account-Region as the execution role named in the
target locations. "If you choose a custom runbook, the runbook must be shared with all of the target
accounts": the runbook lives beside the administration role (stacks/patch_now_administration.py) and
is shared from there; a shared document is used by its ARN, which names its Region ("Using shared SSM
documents"), so the administration stack is deployed in every Region a run targets. The member
side is the execution role alone (parts/patch_now.py).
"""

import argparse
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass

from . import identifiers

RUNBOOK_NAME = "PatchNow-RunPatchBaseline"
ADMINISTRATION_ROLE_NAME = "PatchNow-Administration"
EXECUTION_ROLE_NAME = "PatchNow-Execution"

OPERATIONS = ("Scan", "Install")
REBOOT_OPTIONS = ("RebootIfNeeded", "NoReboot")  # AWS-RunPatchBaseline's RebootOption values
# Conservative defaults: a tenth of the nodes of an account-Region at a time, and of the account-Region
# pairs at a time; a run stops at 5% errors (with fewer than 20 nodes or pairs, at the first error).
DEFAULTS = {
    "OPERATION": "Scan",
    "REBOOT": "RebootIfNeeded",
    "MAX_CONCURRENCY": "10%",
    "MAX_ERRORS": "5%",
    "LOCATION_CONCURRENCY": "10%",
    "LOCATION_ERRORS": "5%",
}
# Rate controls, as the Systems Manager API reference writes them (TargetLocation, SendCommand):
# at most 7 characters.
CONCURRENCY = r"[1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%"
ERRORS = r"[1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%"
# TargetLocation: at most 50 accounts (or OUs) and 50 Regions.
MOST_TARGETS = MOST_REGIONS = 50
# ModifyDocumentPermission takes at most 20 accounts per call (API reference, DocumentPermissionLimit).
SHARE_BATCH = 20
# The make variables the check reads (make passes each as --NAME=VALUE).
VARIABLES = ("TARGETS", "REGIONS", "REGION", "PROFILE", "CONFIRM", "ALL", *DEFAULTS)
EXAMPLE = "make patch-now TARGETS=ou-ab12-cd34ef56 REGIONS=us-east-1,eu-west-1"


class Refused(Exception):
    """A value refused before anything ran; the message names it."""


class Stopped(Exception):
    """An AWS call of the share step failed; the run was not started."""


@dataclass(frozen=True)
class Run:
    """One patch-now run: what `aws ssm start-automation-execution` is given."""

    targets: tuple[str, ...]
    regions: tuple[str, ...]
    operation: str
    reboot: str
    max_concurrency: str
    max_errors: str
    location_concurrency: str
    location_errors: str
    start_region: str
    profile: str = ""

    def arguments(self) -> list[str]:
        """The words after `aws ssm start-automation-execution`."""
        parameters = {
            "Operation": [self.operation],
            "RebootOption": [self.reboot],
            "MaxConcurrency": [self.max_concurrency],
            "MaxErrors": [self.max_errors],
        }
        location = {
            "Accounts": list(self.targets),
            "Regions": list(self.regions),
            # The StackSet deploys into child OUs too; the run follows it there.
            "IncludeChildOrganizationUnits": True,
            "ExecutionRoleName": EXECUTION_ROLE_NAME,
            "TargetLocationMaxConcurrency": self.location_concurrency,
            "TargetLocationMaxErrors": self.location_errors,
        }
        return [
            "--region",
            self.start_region,
            *(["--profile", self.profile] if self.profile else []),
            "--document-name",
            RUNBOOK_NAME,
            "--parameters",
            json.dumps(parameters, separators=(",", ":")),
            "--target-locations",
            json.dumps([location], separators=(",", ":")),
        ]


def items(name: str, value: str, pattern: str, what: str, most: int) -> tuple[str, ...]:
    """A comma-separated list, each item matching `pattern`, none twice, at most `most`."""
    if not value:
        raise Refused(f"{name} is required: {what}, separated by commas, e.g. {EXAMPLE}")
    listed = value.split(",")
    for item in listed:
        if not re.fullmatch(pattern, item):
            raise Refused(f"{name}: {item!r} is not {what}")
    twice = sorted({item for item in listed if listed.count(item) > 1})
    if twice:
        raise Refused(f"{name}: {', '.join(twice)} given twice")
    if len(listed) > most:
        raise Refused(f"{name}: {len(listed)} given; one run takes at most {most}")
    return tuple(listed)


def one_of(name: str, value: str, allowed) -> str:
    if value not in allowed:
        raise Refused(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def threshold(name: str, value: str, pattern: str, what: str) -> str:
    if not re.fullmatch(pattern, value) or len(value) > 7:
        raise Refused(f"{name}={value!r} is not {what}")
    return value


def yes(name: str, value: str) -> bool:
    if value not in ("", "yes"):
        raise Refused(f"{name}={value!r}: give {name}=yes or leave it out")
    return value == "yes"


def check(values: dict[str, str], ask=None) -> Run:
    """The run these make variables describe; Refused names the first value that is wrong. `ask`
    (a question -> answer function) confirms an Install without CONFIRM=yes; None refuses it."""
    values = {**DEFAULTS, **{name: value for name, value in values.items() if value}}
    every_org = yes("ALL", values.get("ALL", ""))
    confirmed = yes("CONFIRM", values.get("CONFIRM", ""))
    targets = items(
        "TARGETS",
        values.get("TARGETS", ""),
        rf"{identifiers.ORGANIZATIONAL_UNIT_ID}|\d{{12}}|{identifiers.ROOT_ID}",
        "an OU id (ou-xxxx-xxxxxxxx) or an account id (12 digits)",
        MOST_TARGETS,
    )
    roots = [target for target in targets if target.startswith("r-")]
    if roots and not every_org:
        raise Refused(f"TARGETS: {roots[0]} is the root: every account of the organization. Add ALL=yes to mean it")
    regions = items(
        "REGIONS", values.get("REGIONS", ""), identifiers.REGION, "a Region code such as us-east-1", MOST_REGIONS
    )
    start_region = values.get("REGION") or regions[0]
    if not re.fullmatch(identifiers.REGION, start_region):
        raise Refused(f"REGION={start_region!r} is not a Region code such as us-east-1")
    run = Run(
        targets=targets,
        regions=regions,
        operation=one_of("OPERATION", values["OPERATION"], OPERATIONS),
        reboot=one_of("REBOOT", values["REBOOT"], REBOOT_OPTIONS),
        max_concurrency=threshold(
            "MAX_CONCURRENCY", values["MAX_CONCURRENCY"], CONCURRENCY, "a number of nodes or 1%-100%"
        ),
        max_errors=threshold("MAX_ERRORS", values["MAX_ERRORS"], ERRORS, "a number of errors or 0%-100%"),
        location_concurrency=threshold(
            "LOCATION_CONCURRENCY",
            values["LOCATION_CONCURRENCY"],
            CONCURRENCY,
            "a number of account-Region pairs or 1%-100%",
        ),
        location_errors=threshold(
            "LOCATION_ERRORS", values["LOCATION_ERRORS"], ERRORS, "a number of errors or 0%-100%"
        ),
        start_region=start_region,
        profile=values.get("PROFILE", ""),
    )
    if run.operation == "Install" and not confirmed:
        question = (
            f"Install approved patches now on the nodes the windows target, in {', '.join(targets)} x "
            f"{', '.join(regions)}, {'rebooting where a patch needs it' if run.reboot == 'RebootIfNeeded' else 'without rebooting'}? "
            "Type yes: "
        )
        if ask is None or ask(question).strip() != "yes":
            raise Refused("OPERATION=Install installs patches and may reboot nodes: confirm with CONFIRM=yes")
    return run


# -- sharing the runbook -------------------------------------------------------------------------


def aws_json(aws: list[str], *arguments: str, empty: bool = False):
    """Run the AWS CLI; its JSON answer (None for an empty one where `empty` allows it). A failure stops
    everything with the CLI's own message."""
    result = subprocess.run([*aws, *arguments, "--output", "json"], capture_output=True, text=True)
    if result.returncode != 0:
        hint = (
            " (a document is shared with at most 1,000 accounts unless the quota is raised: Systems Manager "
            "user guide, 'Sharing SSM documents')"
            if "DocumentPermissionLimit" in result.stderr
            else ""
        )
        raise Stopped(f"aws {' '.join(arguments[:2])} failed{hint}: {result.stderr.strip()}")
    if not result.stdout.strip() and empty:  # ModifyDocumentPermission answers nothing
        return None
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise Stopped(f"aws {' '.join(arguments[:2])} did not answer JSON: {result.stdout[:200]!r}") from None


def shared_with(aws: list[str], region: str) -> set[str]:
    """The accounts the runbook is shared with in `region` (DescribeDocumentPermission, page by page)."""
    accounts, token = set(), []
    while True:
        page = aws_json(
            aws, "ssm", "describe-document-permission", "--region", region, "--name", RUNBOOK_NAME,
            "--permission-type", "Share", "--max-results", "200", *token,
        )  # fmt: skip
        accounts.update(page.get("AccountIds", []))
        if not page.get("NextToken"):
            return accounts
        token = ["--next-token", page["NextToken"]]


def share(aws: list[str], arguments: list[str]) -> list[str]:
    """Share the runbook with every active account of the organization but this one, in each target
    Region of `arguments` (those of the start command), adding only those not yet shared. Returns
    what was done, a line per Region."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="")
    parser.add_argument("--target-locations", required=True)
    known, _ = parser.parse_known_args(arguments)
    aws = [*aws, *(["--profile", known.profile] if known.profile else [])]
    regions = [region for location in json.loads(known.target_locations) for region in location["Regions"]]
    me = aws_json(aws, "sts", "get-caller-identity")["Account"]
    accounts = {
        account["Id"]
        for account in aws_json(aws, "organizations", "list-accounts")["Accounts"]
        # Organizations now writes State; Status is the older field it replaces.
        if account.get("State", account.get("Status")) == "ACTIVE"
    } - {me}
    done = []
    for region in regions:
        missing = sorted(accounts - shared_with(aws, region))
        for start in range(0, len(missing), SHARE_BATCH):
            aws_json(
                aws, "ssm", "modify-document-permission", "--region", region, "--name", RUNBOOK_NAME,
                "--permission-type", "Share", "--account-ids-to-add", *missing[start : start + SHARE_BATCH],
                empty=True,
            )  # fmt: skip
        done.append(f"{RUNBOOK_NAME} in {region}: shared with {len(missing)} more of {len(accounts)} accounts")
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m patch_templates.deploy.patch_now",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="check the make variables; print the start arguments")
    for name in VARIABLES:
        checking.add_argument(f"--{name}", default="")
    checking.add_argument("--dry-run", action="store_true", help="make -n: never ask for confirmation")
    sharing = commands.add_parser("share", help="share the runbook in the target Regions")
    sharing.add_argument("--aws", default="aws", help="the AWS CLI command (make's AWS)")
    sharing.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "share":
        try:
            for line in share(shlex.split(args.aws), [a for a in args.arguments if a != "--"]):
                print(line)
        except Stopped as error:
            print(f"make patch-now stopped, the run was not started: {error}", file=sys.stderr)
            return 1
        return 0
    try:
        run = check(
            {name: getattr(args, name) for name in VARIABLES},
            ask=None if args.dry_run or not sys.stdin.isatty() else ask_on_terminal,
        )
    except Refused as error:
        print(f"make patch-now refused, nothing was run: {error}", file=sys.stderr)
        return 1
    print(" ".join(shlex.quote(word) for word in run.arguments()))
    return 0


def ask_on_terminal(question: str) -> str:
    print(question, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


if __name__ == "__main__":
    sys.exit(main())
