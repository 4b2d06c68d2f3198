"""An AWS CLI (v1) plugin for the tests: a botocore Stubber answers every API call from canned
responses, so the real `aws` command parses the command line, paginates and prints its JSON, and
nothing leaves the machine. moto cannot stand in here: its StackSet instances are always CURRENT
and SUCCEEDED (moto/cloudformation/models.py, StackInstance.to_dict), so it shows no failure.

Enabled by `[plugins] canned = aws_canned` in AWS_CONFIG_FILE with this folder on PYTHONPATH.
AWS_CANNED names a folder holding answers.json, {"Operation": [answer, ...]}: each call of the
operation takes the next answer and the last one repeats; {"Error": {"Code", "Message"}} answers
with that error. Each call is appended to calls.jsonl as {"operation", "params"}. The Stubber
checks each answer against the operation's output shape, and the parameters against its input.
"""

import json
import os
from pathlib import Path

import botocore.session
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber

_params = {}


def _remember(params, model, **kwargs):
    _params[model.name] = params


def _next_answer(folder: Path, operation: str) -> dict:
    answers = json.loads((folder / "answers.json").read_text())
    if operation not in answers:
        raise AssertionError(f"no canned answer for {operation}")
    counts_file = folder / "counts.json"
    counts = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    index = counts.get(operation, 0)
    counts[operation] = index + 1
    counts_file.write_text(json.dumps(counts))
    return answers[operation][min(index, len(answers[operation]) - 1)]


def _answer(model, **kwargs):
    folder = Path(os.environ["AWS_CANNED"])
    params = _params.pop(model.name, {})
    with (folder / "calls.jsonl").open("a") as log:
        log.write(json.dumps({"operation": model.name, "params": params}, default=str) + "\n")
    answer = _next_answer(folder, model.name)
    client = botocore.session.get_session().create_client(
        model.service_model.service_name,
        region_name="us-east-1",
        aws_access_key_id="canned",
        aws_secret_access_key="canned",
    )
    method = xform_name(model.name)
    with Stubber(client) as stubber:
        if "Error" in answer:
            stubber.add_client_error(method, answer["Error"]["Code"], answer["Error"]["Message"])
        else:
            stubber.add_response(method, answer)
        try:
            return AWSResponse("https://canned.invalid", 200, {}, None), getattr(client, method)(**params)
        except ClientError as error:
            return AWSResponse("https://canned.invalid", 400, {}, None), error.response


def awscli_initialize(cli):
    cli.register("before-parameter-build", _remember)
    cli.register("before-call", _answer)
