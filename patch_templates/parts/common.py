"""Small pieces shared by the stacks."""

import functools
import json
from pathlib import Path, PurePosixPath

import cfn_flip
from cfn_clean import cfn_literal_parser
from cfn_flip import yaml_dumper
from cfn_tools.odict import ODict
from troposphere import Export, GetAtt, If, ImportValue, NoValue, Output, Ref, Sub, Template, awslambda, s3

from ..lambdas.custom_resource import MAX_AGE_S
from . import lambda_code
from .parameters import has_value

# cfn-flip folds long strings at a width read from the environment (CFN_MAX_COL_WIDTH); fix it
# so the output does not depend on the machine.
YAML_WIDTH = 200
# A template sent inline (a StackSet TemplateBody, or `aws cloudformation deploy` without
# --s3-bucket) holds at most 51,200 bytes ("Understand CloudFormation quotas", user guide).
TEMPLATE_BODY_LIMIT = 51_200
# Inline ZipFile code is limited to 4096 bytes (AWS::Lambda::Function Code, ZipFile).
INLINE_CODE_LIMIT = 4096


class BuildError(Exception):
    """A problem that stops the build; the message says what and where."""


def checkov_skip(**reasons: str) -> dict:
    """Resource Metadata that suppresses checkov checks on this one resource, each with its reason."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]}}


def add_exported_outputs(template: Template, outputs: list[tuple[str, str, object]]) -> None:
    """(name, description, value) outputs, each exported as <stack name>-<name> for other stacks."""
    for name, description, value in outputs:
        template.add_output(
            Output(name, Description=description, Value=value, Export=Export(Sub("${AWS::StackName}-" + name)))
        )


def imported(stack_parameter: str, name: str) -> ImportValue:
    """The output `name` that the stack named by the parameter `stack_parameter` exports
    (add_exported_outputs)."""
    return ImportValue(Sub(f"${{{stack_parameter}}}-{name}"))


def stack_name(file: str) -> str:
    """The stack name the generated deploy commands give a template: my_template.yaml -> my-template."""
    return PurePosixPath(file).stem.replace("_", "-")


def sub(text: str, variables: dict) -> Sub:
    """Fn::Sub of text with only those of `variables` it names as ${name} (cfn-lint refuses
    unused ones)."""
    return Sub(text, **{name: value for name, value in variables.items() if f"${{{name}}}" in text})


def inline_code(path: Path) -> str:
    """A function module of patch_templates/lambdas as inline ZipFile code, compacted together with the
    modules it imports (lambda_code.embedded); the build fails when it is over the limit."""
    try:
        code = lambda_code.embedded(path)
    except lambda_code.CodeError as error:
        raise BuildError(str(error)) from error
    size = len(code.encode())
    if size > INLINE_CODE_LIMIT:
        raise BuildError(
            f"{path.name} is {size} bytes as inline code; inline Lambda code (ZipFile) is limited to "
            f"{INLINE_CODE_LIMIT} bytes"
        )
    return code


def inline_function(
    template: Template, title: str, *, description: str, code: Path, role, log_group, timeout: int, calls: str
) -> awslambda.Function:
    """A custom resource's Lambda function with inline code (`inline_code`) that logs to `log_group`
    and calls only the `calls` API. Lambda retries none of its invocations and drops an event older
    than MAX_AGE_S (its EventInvokeConfig, which the custom resource must depend on): a late copy
    of a request CloudFormation has moved on from must not change anything."""
    function = template.add_resource(
        awslambda.Function(
            title,
            Metadata=checkov_skip(
                CKV_AWS_115="Runs once per stack operation; reserving concurrency fails in accounts whose "
                "unreserved concurrency is at its minimum.",
                CKV_AWS_116="CloudFormation invokes it asynchronously and fails the operation when no answer "
                "comes within the custom resource's ServiceTimeout; a dead-letter queue would keep requests "
                "that must never run late, so Lambda retries none and drops them after a minute.",
                CKV_AWS_117=f"Calls only the {calls} API; a VPC would need NAT or endpoints for no benefit.",
            ),
            Description=description,
            Runtime="python3.13",
            Handler="index.handler",
            Timeout=timeout,
            MemorySize=128,
            Role=GetAtt(role, "Arn"),
            LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(log_group)),
            Code=awslambda.Code(ZipFile=inline_code(code)),
        )
    )
    template.add_resource(
        awslambda.EventInvokeConfig(
            invoke_config(title),
            FunctionName=Ref(function),
            Qualifier="$LATEST",
            MaximumRetryAttempts=0,
            MaximumEventAgeInSeconds=MAX_AGE_S,
        )
    )
    return function


def custom_resource_settings(function: awslambda.Function) -> dict:
    """DependsOn and ServiceTimeout of a custom resource served by an `inline_function`: it is invoked
    only once Lambda's retry settings apply, and CloudFormation waits for its answer at most as long
    as the event may wait (MAX_AGE_S), plus the function's time-out, plus a minute, not an hour."""
    return dict(DependsOn=[invoke_config(function.title)], ServiceTimeout=MAX_AGE_S + function.Timeout + 60)


def invoke_config(function_title: str) -> str:
    """The logical id of an `inline_function`'s EventInvokeConfig."""
    return function_title + "EventInvokeConfig"


def render(template: Template) -> str:
    """Deterministic YAML for a troposphere Template (sorted keys, fixed line width): the text
    written to output/ and embedded in the StackSet."""
    return _yaml(template.to_json())


# A QuickSight Definition nests sheets, visuals, field wells and fields a dozen levels deep, and block
# style spends most of its bytes on indentation: its small mappings (at most this many characters of
# JSON, holding only scalars or such mappings, such as a column or a grid element) go on one line.
FLOW_MAPPING_WIDTH = 160


class _FlowMapping(ODict):
    pass


yaml_dumper.Dumper.add_representer(
    _FlowMapping, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), True)
)


def _one_line_leaves(node):
    if isinstance(node, list):
        return [_one_line_leaves(item) for item in node]
    if not isinstance(node, ODict):
        return node
    items = [(key, _one_line_leaves(value)) for key, value in node.items()]
    small = len(json.dumps(node)) <= FLOW_MAPPING_WIDTH
    if small and all(isinstance(value, _FlowMapping) or not isinstance(value, ODict | list) for _, value in items):
        return _FlowMapping(items)
    return ODict(items)


@functools.cache  # keyed by content: the StackSet embeds members the build has already rendered
def _yaml(template_json: str) -> str:
    """cfn_flip.to_yaml, with the QuickSight Definitions' small mappings on one line."""
    cfn_flip.config.max_col_width = YAML_WIDTH
    yaml_dumper.STR_MAX_LENGTH_QUOTED = YAML_WIDTH
    data = cfn_literal_parser(cfn_flip.load(template_json)[0])
    for resource in data.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type", "").startswith("AWS::QuickSight::") and "Definition" in properties:
            properties["Definition"] = _one_line_leaves(properties["Definition"])
    return cfn_flip.dump_yaml(data)


def private_bucket(
    template: Template,
    title: str,
    kms_key,
    log_bucket,
    log_prefix,
    expiries: list[dict],
    *,
    noncurrent_days,
    abort_upload_days: int,
    **properties,
) -> s3.Bucket:
    """An S3 bucket that keeps its data: encrypted (SSE-S3, or SSE-KMS with `kms_key` when that
    optional parameter is given), public access blocked, owner-enforced, versioned, retained on
    delete and replace, access logs to the optional `log_bucket`. Its lifecycle expires old
    versions and incomplete uploads after the given days, and current objects only where the
    caller says: `expiries` are lifecycle rules (Id, Prefix, ExpirationInDays), each enabled."""
    has_kms_key = has_value(template, kms_key)
    return template.add_resource(
        s3.Bucket(
            title,
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
            Metadata=checkov_skip(
                CKV_AWS_19=f"Always encrypted: SSE-S3 by default, SSE-KMS with {kms_key.title}; "
                "checkov cannot evaluate the Fn::If that chooses."
            ),
            BucketEncryption=s3.BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(
                        BucketKeyEnabled=If(has_kms_key, True, NoValue),
                        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                            SSEAlgorithm=If(has_kms_key, "aws:kms", "AES256"),
                            KMSMasterKeyID=If(has_kms_key, Ref(kms_key), NoValue),
                        ),
                    )
                ]
            ),
            PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
                BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True
            ),
            OwnershipControls=s3.OwnershipControls(
                Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
            ),
            VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
            LifecycleConfiguration=s3.LifecycleConfiguration(
                Rules=[
                    s3.LifecycleRule(
                        Id="ExpireOldVersions",
                        Status="Enabled",
                        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=noncurrent_days),
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
                            DaysAfterInitiation=abort_upload_days
                        ),
                    ),
                    *(s3.LifecycleRule(Status="Enabled", **expiry) for expiry in expiries),
                ]
            ),
            LoggingConfiguration=If(
                has_value(template, log_bucket),
                s3.LoggingConfiguration(DestinationBucketName=Ref(log_bucket), LogFilePrefix=log_prefix),
                NoValue,
            ),
            **properties,
        )
    )
