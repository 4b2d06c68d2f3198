"""Generated reference for the people who deploy: parameter tables, Mermaid pictures and example
parameter files, computed from the built templates.

Everything comes from the template data (Parameters, console groups and labels, Resources and
their Ref / GetAtt / Sub / DependsOn references, StackSet TemplateBody) except two facts a
template does not carry, kept in the tables below: where each file is deployed, in which step,
and which data flows between stacks; and example values for parameters without a usable default.

`python -m patch_templates.docs overrides FILE` prints a parameter file as shell-quoted
Key=Value words for `aws cloudformation deploy --parameter-overrides` (used by the Makefile).
"""

import json
import re
import shlex
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from . import dashboard_picture, parameters, rules
from .common import TEMPLATE_BODY_LIMIT, BuildError

# The artifacts bucket named in generated deploy commands for templates that go through S3.
ARTIFACTS_BUCKET = "my-artifacts-bucket"

ACCOUNTS = {
    "management": "Management account (or StackSets delegated administrator)",
    "source": "Source accounts (every member account × Region)",
    "collector": "Collector account",
}


@dataclass(frozen=True)
class Placement:
    step: int             # deployment order: all stacks of step 1 before any of step 2, ...
    account: str          # a key of ACCOUNTS
    feeds: tuple = ()     # (file name, what flows there) for data that leaves this stack


COLLECTOR = "resourcedatasync_s3bucket_bucketpolicy.yml"
SYNC = "resource_data_sync.yml"
ANALYTICS = "consolidated_billing_s3_glue_crawler_athena.yaml"
DASHBOARD = "quicksight_dashboard.yaml"
PATCHING = [f"{os}_patch_baseline_maintenance_window.yml"
            for os in ("windows", "amazon_linux_2023", "amazon_linux_2", "redhat", "ubuntu")]

# Where each template goes (design document, "Deployment steps"). The member stacks are step 2:
# the StackSet of step 2 deploys them, or they are deployed alone into one account.
DEPLOYMENT = {
    COLLECTOR: Placement(1, "collector", ((ANALYTICS, "Glue crawler reads the synced JSON"),)),
    "patch_management_stackset.yml": Placement(2, "management"),
    **{name: Placement(2, "source", ((SYNC, "inventory and patch compliance of the nodes"),))
       for name in PATCHING},
    SYNC: Placement(2, "source", ((COLLECTOR, "resource data sync writes JSON to S3"),)),
    ANALYTICS: Placement(3, "collector", ((DASHBOARD, "Athena workgroup and tables, by export"),)),
    DASHBOARD: Placement(5, "collector"),
}

# Example values for the parameter files. A parameter named here gets this value even over its
# default (an empty account list would break the collector's rule); any other parameter keeps
# its default, or else takes the first candidate its constraint accepts, its first allowed
# value, or its minimum. 111122223333 stands for the collector, 444455556666 and 777788889999
# for source accounts (the documentation's example ids).
EXAMPLES = {
    "pResourceDataSyncBucketName": "patch-inventory-111122223333",
    "pDataSourceAccountID": "444455556666,777788889999",
    "pBucketName": "patch-inventory-111122223333/inventory",
    "pNotificationEmailAddress": "patching@example.com",
    "pQuickSightPrincipalArn": "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
}
CANDIDATES = [
    "111122223333", "o-a1b2c3d4e5", "ou-ab12-cd34ef56", "us-east-1", "patching@example.com",
    "patch-inventory-111122223333",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:quicksight:us-east-1:111122223333:user/default/patch-admin",
    "cron(0 4 ? * SUN *)", "Production", "inventory",
]


def placement(name: str) -> Placement:
    if name not in DEPLOYMENT:
        raise BuildError(f"{name} has no entry in DEPLOYMENT ({__name__}): add its step and account")
    return DEPLOYMENT[name]


def stem(name: str) -> str:
    return PurePosixPath(name).stem


# -- parameters -------------------------------------------------------------------------------

def grouped_parameters(template: dict) -> list[tuple[str, list[str]]]:
    """(console group label, parameter names) in the order the console shows them."""
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
    groups = [(g["Label"]["default"], list(g["Parameters"])) for g in interface.get("ParameterGroups", [])]
    grouped = {name for _, names in groups for name in names}
    rest = [name for name in template.get("Parameters", {}) if name not in grouped]
    return groups + ([("Other parameters", rest)] if rest else [])


def _text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def example_value(name: str, definition: dict) -> str:
    if name in EXAMPLES:
        return EXAMPLES[name]
    if "Default" in definition:
        return _text(definition["Default"])
    if "AllowedValues" in definition:
        return _text(definition["AllowedValues"][0])
    if definition["Type"] == "Number" and "MinValue" in definition:
        return _text(definition["MinValue"])
    for candidate in CANDIDATES:
        if parameters.violation(definition, candidate) is None:
            return candidate
    raise BuildError(f"no example value for {name}: add one to EXAMPLES or CANDIDATES in {__name__}")


def example_parameters(file_name: str, template: dict) -> list[dict]:
    """The create-stack parameter list, every parameter in console order, each value checked
    against its constraint and the template's Rules."""
    definitions = template.get("Parameters", {})
    values = {name: example_value(name, definitions[name])
              for _, names in grouped_parameters(template) for name in names}
    problems = [f"{name}={value!r}: {why}" for name, value in values.items()
                if (why := parameters.violation(definitions[name], value))]
    try:
        problems += rules.failures(template, values)
    except ValueError as error:
        raise BuildError(f"cannot check the Rules of {file_name} against its example parameters: {error}") from None
    if problems:
        raise BuildError(f"example parameters of {file_name} are refused: " + "; ".join(problems))
    return [{"ParameterKey": name, "ParameterValue": value} for name, value in values.items()]


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _allowed(definition: dict, example: str) -> str:
    parts = []
    if "Default" not in definition:
        parts.append(f"**Required**, e.g. `{example}`")
    elif _text(definition["Default"]) == "":
        parts.append("Default: empty")
    else:
        parts.append(f"Default: `{_text(definition['Default'])}`")
    if "AllowedValues" in definition:
        parts.append("Allowed: " + ", ".join(f"`{_text(v)}`" for v in definition["AllowedValues"]))
    elif "ConstraintDescription" in definition:
        parts.append(definition["ConstraintDescription"])
    return "<br>".join(_cell(part) for part in parts)


def parameters_markdown(templates: dict[str, dict], examples: dict[str, list[dict]]) -> str:
    lines = ["# Parameters of every template", "",
             "Generated by `make templates` from the templates in `output/`; do not edit. Rows are "
             "grouped as the CloudFormation console groups them. Example values for every parameter "
             "are in `output/parameters/<template>.json`.", ""]
    for name, template in templates.items():
        where = placement(name)
        labels = template.get("Metadata", {}).get("AWS::CloudFormation::Interface", {}).get("ParameterLabels", {})
        example = {p["ParameterKey"]: p["ParameterValue"] for p in examples[name]}
        lines += [f"## {name}", "",
                  f"Step {where.step}, {ACCOUNTS[where.account]}. {template.get('Description', '')} "
                  f"Picture and deploy command: [templates/{stem(name)}.md](templates/{stem(name)}.md).", "",
                  "| Parameter | Description | Default / Allowed values |",
                  "| --- | --- | --- |"]
        for group, names in grouped_parameters(template):
            lines.append(f"| | **{_cell(group)}** | |")
            for parameter in names:
                definition = template["Parameters"][parameter]
                label = labels.get(parameter, {}).get("default")
                shown = f"`{parameter}`" + (f"<br>{_cell(label)}" if label else "")
                lines.append(f"| {shown} | {_cell(definition.get('Description', ''))} | "
                             f"{_allowed(definition, example[parameter])} |")
        lines.append("")
    return "\n".join(lines)


# -- references between resources -------------------------------------------------------------

SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")


def references(node):
    """(kind, target logical id or parameter, attribute) for each Ref, GetAtt and ${...} in node."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield "Ref", value, ""
            elif key == "Fn::GetAtt":
                target, attribute = value.split(".", 1) if isinstance(value, str) else value
                yield "GetAtt", target, attribute if isinstance(attribute, str) else ""
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                yield from references(variables)
                for found in SUB_NAME.findall(text):
                    target, _, attribute = found.partition(".")
                    if target not in variables:  # a variable of this Sub, not a resource
                        yield "Sub", target, attribute
            else:
                yield from references(value)


def resource_edges(template: dict) -> list[tuple[str, str, str]]:
    """(from resource, to resource, label) for every reference between resources, sorted."""
    resources = template.get("Resources", {})
    labels = {}
    for source, resource in resources.items():
        found = [(kind + (f" {attr}" if attr else ""), target)
                 for kind, target, attr in references(resource.get("Properties", {}))]
        depends = resource.get("DependsOn", [])
        found += [("DependsOn", target) for target in ([depends] if isinstance(depends, str) else depends)]
        for label, target in found:
            if target in resources and target != source:
                labels.setdefault((source, target), set()).add(label)
    return [(a, b, ", ".join(sorted(kinds))) for (a, b), kinds in sorted(labels.items())]


def stackset_members(template: dict, templates: dict[str, dict],
                     texts: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(StackSet logical id, member file name) for each StackSet whose TemplateBody is a built
    template: its text as written to output/ (`texts`), else the same data or Description."""
    texts = texts or {}
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        body = resource.get("Properties", {}).get("TemplateBody")
        if resource["Type"] != "AWS::CloudFormation::StackSet" or not isinstance(body, str):
            continue
        same_text = [name for name, text in texts.items() if text == body]
        if same_text:
            found.append((logical_id, same_text[0]))
            continue
        from cfnlint.decode import decode_str  # reads YAML with !Ref tags, or JSON; loaded by the lint anyway

        member, _ = decode_str(body)
        for name, other in templates.items():
            if other is not template and (member == other or (
                    member and "Description" in other and member.get("Description") == other["Description"])):
                found.append((logical_id, name))
                break
    return found


# -- Mermaid ----------------------------------------------------------------------------------

def _node_id(text: str) -> str:
    return "n_" + re.sub(r"\W", "_", text)


def _label(*lines: str) -> str:
    return '["' + "<br/>".join(line.replace('"', "#quot;") for line in lines) + '"]'


def template_mermaid(template: dict, members: list[tuple[str, str]]) -> str:
    """flowchart: the template's resources in one box per AWS service, an arrow from each resource
    to each resource it references (labelled Ref / GetAtt attribute / Sub / DependsOn), dashed
    boxes for resources created only under a condition, and the member templates of StackSets."""
    resources = template.get("Resources", {})
    lines = ["flowchart LR", "  classDef conditional stroke-dasharray: 5 5",
             "  classDef member fill:#e8f5e9,stroke:#2e7d32"]
    services: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        kind = resource["Type"].split("::")
        services.setdefault(kind[1] if kind[0] == "AWS" else kind[0], []).append(logical_id)
    for service, ids in sorted(services.items()):
        lines.append(f'  subgraph {_node_id("svc_" + service)}["{service}"]')
        for logical_id in ids:
            resource = resources[logical_id]
            condition = resource.get("Condition")
            extra = [f"only if {condition}"] if condition else []
            lines.append(f"    {_node_id(logical_id)}{_label(logical_id, resource['Type'], *extra)}"
                         + (":::conditional" if condition else ""))
        lines.append("  end")
    for source, target, label in resource_edges(template):
        arrow = "-.->" if label == "DependsOn" else "-->"
        lines.append(f"  {_node_id(source)} {arrow}|{label}| {_node_id(target)}")
    for logical_id, member in members:
        lines.append(f"  {_node_id('file_' + member)}{_label(member, 'member template')}:::member")
        lines.append(f"  {_node_id(logical_id)} -->|TemplateBody| {_node_id('file_' + member)}")
    return "\n".join(lines)


def _summary(template: dict) -> list[str]:
    counts = Counter(r["Type"].removeprefix("AWS::") for r in template.get("Resources", {}).values())
    return [f"{kind} ×{count}" if count > 1 else kind for kind, count in sorted(counts.items())]


def architecture_mermaid(templates: dict[str, dict], members: dict[str, list]) -> str:
    """flowchart: one box per account kind holding its templates (step, file, resource types;
    templates alike in place and resource types share one node, such as one per operating
    system); StackSet arrows to the member templates they deploy; data-flow arrows from DEPLOYMENT."""
    alike: dict[tuple, list[str]] = {}
    for name in sorted(templates, key=lambda n: placement(n).step):
        alike.setdefault((placement(name), tuple(_summary(templates[name]))), []).append(name)
    node = {name: _node_id(names[0]) for names in alike.values() for name in names}
    lines = ["flowchart LR"]
    for account, title in ACCOUNTS.items():
        groups = [(key, names) for key, names in alike.items() if key[0].account == account]
        if not groups:
            continue
        lines.append(f'  subgraph {_node_id("acct_" + account)}["{title}"]')
        for (where, summary), names in groups:
            lines.append(f"    {node[names[0]]}"
                         f"{_label(f'step {where.step}', *(f'<b>{n}</b>' for n in names), *summary)}")
        lines.append("  end")
    edges = [(node[name], "==>", "StackSet deploys", node[member])
             for name in templates for _, member in members[name]]
    edges += [(node[name], "-->", what, node[target])
              for name in templates for target, what in placement(name).feeds if target in templates]
    lines += [f"  {a} {arrow}|{label}| {b}" for a, arrow, label, b in dict.fromkeys(edges)]
    return "\n".join(lines)


# -- deploy commands --------------------------------------------------------------------------

def capabilities(template: dict) -> list[str]:
    types = {r["Type"] for r in template.get("Resources", {}).values()}
    return ["CAPABILITY_NAMED_IAM"] if any(t.startswith("AWS::IAM::") for t in types) else []


def overrides(parameter_list: list[dict], template: dict | None = None) -> list[str]:
    """Key=Value words for deploy --parameter-overrides (only values that differ from the
    default when the template is given)."""
    definitions = (template or {}).get("Parameters", {})
    return [f"{p['ParameterKey']}={p['ParameterValue']}" for p in parameter_list
            if "Default" not in definitions.get(p["ParameterKey"], {})
            or _text(definitions[p["ParameterKey"]]["Default"]) != p["ParameterValue"]]


def deploy_command(name: str, template: dict, parameter_list: list[dict], through_s3: bool = False) -> str:
    words = ["aws", "cloudformation", "deploy", "--stack-name", stem(name).replace("_", "-"),
             "--template-file", f"output/{name}"]
    if through_s3:
        words += ["--s3-bucket", ARTIFACTS_BUCKET]
    if capabilities(template):
        words += ["--capabilities", *capabilities(template)]
    values = overrides(parameter_list, template)
    if values:
        words += ["--parameter-overrides", *values]
    return _wrap(words)


def _wrap(words: list[str]) -> str:
    """One shell command, an option per line, each parameter override on a line of its own."""
    lines, current = [], []
    for word in words:
        if (word.startswith("--") or "=" in word) and current:
            lines.append(shlex.join(current))
            current = []
        current.append(word)
    lines.append(shlex.join(current))
    return " \\\n    ".join(lines)


def template_markdown(name: str, template: dict, members: dict[str, list], parameter_list: list[dict],
                      through_s3: bool = False) -> str:
    where = placement(name)
    resources = template.get("Resources", {})
    deployed_by = [other for other, found in members.items() if any(member == name for _, member in found)]
    lines = [f"# {name}", "",
             "Generated by `make templates`; do not edit.", "",
             f"- **Account:** {ACCOUNTS[where.account]}",
             f"- **Step:** {where.step}" + (f", deployed by {', '.join(f'`{d}`' for d in deployed_by)} "
                                            "or alone in one account" if deployed_by else ""),
             f"- **Creates:** {template.get('Description', '')}",
             f"- **Parameters:** [parameters.md](../parameters.md); example values in "
             f"`output/parameters/{stem(name)}.json`", "",
             "## Resources and their references", "",
             "Arrows point from a resource to the one it references; dashed boxes exist only under "
             "their condition.", "",
             "```mermaid", template_mermaid(template, members[name]), "```", "",
             "| Logical ID | Type | Condition |", "| --- | --- | --- |"]
    lines += [f"| `{logical_id}` | `{r['Type']}` | {r.get('Condition', '')} |" for logical_id, r in resources.items()]
    outputs = template.get("Outputs", {})
    if outputs:
        lines += ["", "## Outputs", "", "| Output | Description |", "| --- | --- |"]
        lines += [f"| `{key}` | {_cell(o.get('Description', ''))} |" for key, o in outputs.items()]
    lines += ["", "## Deploy", "",
              "With the example values (edit `output/parameters/"
              f"{stem(name)}.json` first, or pass your own values)"
              + (f"; the template is over {TEMPLATE_BODY_LIMIT:,} bytes, so it goes through an S3 bucket of "
                 "yours in the same Region" if through_s3 else "") + ":", "",
              "```sh", deploy_command(name, template, parameter_list, through_s3), "```", "",
              "or `make deploy STACK=" + stem(name).replace("_", "-") + f" TEMPLATE=output/{name}"
              + (f" ARTIFACTS_BUCKET={ARTIFACTS_BUCKET}" if through_s3 else "") + "`.", ""]
    return "\n".join(lines)


def architecture_markdown(templates: dict[str, dict], members: dict[str, list]) -> str:
    lines = ["# Architecture across accounts", "",
             "Generated by `make templates` from the templates in `output/`; do not edit. Each box is "
             "one template, inside the account it is deployed into, with its step in the deployment "
             "order and the resource types it creates. Thick arrows: a StackSet deploys that template "
             "into every member account and Region. Thin arrows: data that flows between stacks.", "",
             "```mermaid", architecture_mermaid(templates, members), "```", "",
             "| Step | Account | Template | Creates |", "| --- | --- | --- | --- |"]
    for name in sorted(templates, key=lambda n: (placement(n).step, list(ACCOUNTS).index(placement(n).account))):
        where = placement(name)
        lines.append(f"| {where.step} | {ACCOUNTS[where.account]} | [{name}](templates/{stem(name)}.md) | "
                     f"{_cell(templates[name].get('Description', ''))} |")
    lines.append("")
    return "\n".join(lines)


def generate(templates: dict[str, dict], texts: dict[str, str] | None = None) -> dict[str, str]:
    """Relative path -> text: 'output/parameters/*.json' and 'docs/...' for these templates
    (`texts`: their YAML as written to output/, which finds StackSet members without parsing)."""
    for name in templates:
        placement(name)
    examples = {name: example_parameters(name, t) for name, t in templates.items()}
    members = {name: stackset_members(t, templates, texts) for name, t in templates.items()}
    files = {f"output/parameters/{stem(name)}.json": json.dumps(examples[name], indent=2) + "\n"
             for name in templates}
    files["docs/parameters.md"] = parameters_markdown(templates, examples)
    files["docs/architecture.md"] = architecture_markdown(templates, members)
    for name, template in templates.items():
        through_s3 = len((texts or {}).get(name, "").encode()) > TEMPLATE_BODY_LIMIT
        files[f"docs/templates/{stem(name)}.md"] = template_markdown(name, template, members, examples[name],
                                                                      through_s3)
    files.update(dashboard_picture.files(templates))
    return files


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] != "overrides":
        sys.exit("usage: python -m patch_templates.docs overrides PARAMETER_FILE.json")
    with open(argv[1]) as file:
        print(" ".join(shlex.quote(word) for word in overrides(json.load(file))))


if __name__ == "__main__":
    main(sys.argv[1:])
