"""Tear down one account's stacks with the AWS CLI and the Python standard library alone: `make teardown`.

    python3 -m patch_templates.deploy.teardown check [--ACCOUNT=...] [--DELETE_BUCKETS=...] [--REGION=...]
        [--PROFILE=...] [--TIMEOUT=...]
    python3 -m patch_templates.deploy.teardown run --account=KIND [--aws=aws] [--region R] [--profile P]
        [--timeout=MINUTES] [--delete-buckets=NAME,...] [--dry-run]

`run` deletes the account's stacks in the reverse order of their deployment, each under the name the
deploy commands give it, and waits for each delete to end before the next (a stack whose exports
another imports cannot go first). A stack that is not there is said so and skipped; a delete that
fails stops the run with its reason. The S3 buckets the stacks retain are kept, with what they hold
(the synced data, the compliance history), and named, with the command that deletes them:
--delete-buckets empties each named bucket, every version and delete marker in DeleteObjects
batches of at most 1,000 keys (the operation's limit), then deletes it. Last it prints what only a
person can do. --dry-run prints the commands, with <...> for what AWS would tell, and runs none.

The build writes output/teardown.json from the templates' records (stacks/record.py), since the
standard library cannot read CloudFormation YAML: {"stacks": [{"stack": name, "template": file,
"account": kind, "step": n, "buckets": [logical id], "keys": {logical id: pending days},
"quicksight": bool}, ...]} in deployment order, for every template deployed by name.
"""

import json
import re
import sys
import tempfile
import time
from pathlib import Path

from .preflight import BUCKET, OUTPUT, PATTERN_FLAGS, VARIABLES, Refused, shown, tool_parser
from .stacksets import Aws, Failed

PLAN = OUTPUT / "teardown.json"
# DeleteObjects takes at most 1,000 keys a request (Amazon S3 API Reference, DeleteObjects).
BATCH = 1000
# How often a delete that the AWS CLI's waiter gave up on (after 60 minutes) is looked at again.
POLL_SECONDS = 30
GONE = "does not exist"  # how describe-stacks answers for a stack name that is not (or no longer) there


def plan_file(stacks: list[dict]) -> str:
    """The text of output/teardown.json (written by the build)."""
    return json.dumps({"stacks": stacks}, indent=1, sort_keys=True) + "\n"


def load_plan(path: Path = PLAN) -> list[dict]:
    try:
        stacks = json.loads(path.read_bytes())["stacks"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Refused(f"{path}: cannot read the stacks to delete ({error}); run make templates") from None
    if not isinstance(stacks, list) or not all(isinstance(s, dict) and isinstance(s.get("stack"), str) for s in stacks):
        raise Refused(f"{path}: not the list of stacks the build writes; run make templates")
    return stacks


def accounts(stacks: list[dict]) -> list[str]:
    """The account kinds, in the order to tear them down: the account whose first stack came last goes
    first (the management account's StackSets stop every member writing to the collector's stacks)."""
    return sorted(
        {s["account"] for s in stacks}, key=lambda kind: -min(s["step"] for s in stacks if s["account"] == kind)
    )


def check(variables: dict[str, str | None], plan: Path = PLAN) -> None:
    """Refuse, naming each, a missing or impossible make variable of make teardown."""
    kinds = accounts(load_plan(plan))
    found = []
    account = variables.get("ACCOUNT") or ""
    if account not in kinds:
        found.append(
            f"ACCOUNT={shown(account)}: give the account whose stacks to delete, one of {', '.join(kinds)} "
            f"(in that order), e.g. make teardown ACCOUNT={kinds[0]}"
        )
    for name in ("REGION", "PROFILE", "TIMEOUT"):
        pattern, fix = VARIABLES[name]
        value = variables.get(name)
        if value and not re.fullmatch(pattern, value, PATTERN_FLAGS):
            found.append(f"{name}={shown(value)}: {fix}")
    buckets = variables.get("DELETE_BUCKETS")
    if buckets and not all(re.fullmatch(BUCKET, b, PATTERN_FLAGS) for b in buckets.split(",")):
        found.append(f"DELETE_BUCKETS={shown(buckets)}: bucket names, separated by commas")
    if found:
        raise Refused("\n".join(found))


def described(cloudformation: Aws, stack: str) -> dict | None:
    """The stack as describe-stacks shows it, or None when there is no such stack."""
    try:
        answer = cloudformation("describe-stacks", "--stack-name", stack, dry_run_answer={"Stacks": [{}]})
    except Failed as error:
        if GONE in str(error):
            return None
        raise
    return answer["Stacks"][0]


def bucket_names(cloudformation: Aws, entry: dict) -> list[str]:
    """The physical names of the buckets the stack retains."""
    return [
        cloudformation(
            "describe-stack-resource",
            *("--stack-name", entry["stack"], "--logical-resource-id", logical_id),
            dry_run_answer={"StackResourceDetail": {"PhysicalResourceId": f"<{logical_id}>"}},
        )["StackResourceDetail"]["PhysicalResourceId"]
        for logical_id in entry["buckets"]
    ]


def delete_stack(cloudformation: Aws, stack: str, timeout: int | None) -> None:
    """Delete the stack and wait until it is gone; Failed when the delete fails or the wait runs out."""
    cloudformation("delete-stack", "--stack-name", stack, echo=True)
    deadline = None if timeout is None else time.monotonic() + timeout * 60
    while True:
        try:
            cloudformation("wait", "stack-delete-complete", "--stack-name", stack, echo=True)
            return
        except Failed:
            pass  # the waiter also gives up after 60 minutes on a delete still in progress
        status = described(cloudformation, stack)
        if status is None or status.get("StackStatus") == "DELETE_COMPLETE":
            return
        if status.get("StackStatus") != "DELETE_IN_PROGRESS":
            raise Failed(
                f"{stack}: {status.get('StackStatus')} ({status.get('StackStatusReason', 'no reason given')}); "
                f"aws cloudformation describe-stack-events --stack-name {stack} shows the resource that failed, "
                "then make teardown again"
            )
        if deadline is not None and time.monotonic() > deadline:
            raise Failed(f"{stack}: still DELETE_IN_PROGRESS after TIMEOUT={timeout} minutes; make teardown again")
        time.sleep(POLL_SECONDS)


def empty_and_delete(s3: Aws, bucket: str) -> int:
    """Delete every version and delete marker of the bucket, at most 1,000 keys a request, then the
    bucket; the number of versions and markers deleted."""
    deleted = 0
    with tempfile.TemporaryDirectory() as folder:
        batch = Path(folder) / "delete.json"
        while True:
            # The first page each time: what was listed is deleted before the next listing.
            page = s3(
                "list-object-versions",
                *("--bucket", bucket, "--max-keys", str(BATCH), "--no-paginate"),
                dry_run_answer={"Versions": [{"Key": "<key>", "VersionId": "<version>"}]},
            )
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if not objects:
                break
            for start in range(0, len(objects), BATCH):
                batch.write_text(json.dumps({"Objects": objects[start : start + BATCH], "Quiet": True}))
                s3("delete-objects", "--bucket", bucket, "--delete", f"file://{batch}")
                deleted += len(objects[start : start + BATCH])
            if s3.dry_run:
                print(f"# ... again until list-object-versions --bucket {bucket} lists nothing; then:")
                break
    s3("delete-bucket", "--bucket", bucket, echo=True)
    return deleted


def person_only(entries: list[dict]) -> list[str]:
    """What the teardown cannot do for the deleted stacks: only a person can."""
    notes = []
    for entry in entries:
        for logical_id, days in sorted(entry.get("keys", {}).items()):
            notes.append(
                f"the KMS key {logical_id} of {entry['stack']} is pending deletion for {days} days: until then "
                "aws kms cancel-key-deletion can bring it back; after that, whatever it encrypted cannot be read"
            )
        if entry.get("quicksight"):
            notes.append(
                "the QuickSight subscription (step 0) stays and is billed: deleting the stack removed only its "
                "data sets, analysis and dashboard. A QuickSight administrator ends it (Amazon QuickSight API "
                "Reference, DeleteAccountSubscription: termination protection off first; it deletes every "
                "QuickSight asset of the account in every Region, for good)"
            )
    return notes


def run(cloudformation: Aws, s3: Aws, account: str, timeout: int | None, buckets: list[str], plan: Path = PLAN) -> int:
    stacks = load_plan(plan)
    kinds = accounts(stacks)
    entries = [s for s in reversed(stacks) if s["account"] == account]
    kept: list[tuple[str, str]] = []
    deleted: list[dict] = []
    for entry in entries:
        if described(cloudformation, entry["stack"]) is None:
            print(f"# {entry['stack']} (step {entry['step']}): no such stack in this account and Region, skipped")
            continue
        kept += [(bucket, entry["stack"]) for bucket in bucket_names(cloudformation, entry)]
        delete_stack(cloudformation, entry["stack"], timeout)
        deleted.append(entry)
        done = "would be deleted" if cloudformation.dry_run else "deleted"
        print(f"# {entry['stack']} (step {entry['step']}, output/{entry['template']}): {done}", flush=True)
    for bucket in buckets:
        count = empty_and_delete(s3, bucket)
        done = "would be emptied and deleted" if s3.dry_run else f"{count} versions and delete markers deleted, then it"
        print(f"# bucket {bucket}: {done}")
    kept = [(bucket, stack) for bucket, stack in kept if bucket not in buckets]
    for bucket, stack in kept:
        print(f"# kept: bucket {bucket} (retained by {stack}, with every version of what it holds)")
    if kept:
        names = ",".join(bucket for bucket, _ in kept)
        print(f"# to delete the data too: make teardown ACCOUNT={account} DELETE_BUCKETS={names}")
    for note in person_only(entries if cloudformation.dry_run else deleted):
        print(f"# only a person can: {note}")
    later = kinds[kinds.index(account) + 1 :]
    if later:
        print(f"# next: make teardown ACCOUNT={later[0]} (with that account's credentials)")
    return 0


def main(argv=None) -> int:
    parser = tool_parser("patch_templates.deploy.teardown", __doc__)
    parser.add_argument("command", choices=("check", "run"))
    for name in ("ACCOUNT", "DELETE_BUCKETS", "REGION", "PROFILE", "TIMEOUT"):
        parser.add_argument(f"--{name}")
    parser.add_argument("--account")
    parser.add_argument("--aws", default="aws", help="the AWS CLI command")
    parser.add_argument("--region")
    parser.add_argument("--profile")
    parser.add_argument("--timeout", type=int, help="minutes each delete is waited for at most")
    parser.add_argument("--delete-buckets", default="", help="buckets to empty and delete, separated by commas")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run none")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            check({name: getattr(args, name) for name in ("ACCOUNT", "DELETE_BUCKETS", "REGION", "PROFILE", "TIMEOUT")})
            return 0
        options = [
            *(["--region", args.region] if args.region else []),
            *(["--profile", args.profile] if args.profile else []),
        ]
        buckets = [b for b in args.delete_buckets.split(",") if b]
        cloudformation, s3 = (Aws(args.aws, options, args.dry_run, service) for service in ("cloudformation", "s3api"))
        return run(cloudformation, s3, args.account, args.timeout, buckets)
    except Refused as error:
        print(f"refused, nothing was run:\n{error}", file=sys.stderr)
        return 1
    except Failed as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
