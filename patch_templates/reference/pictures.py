"""Mermaid pictures computed from the templates: one per template (its resources grouped by
purpose, an arrow for each reference between them) and the architecture across accounts (which
account runs what, in which step, and where the data and alerts go)."""

import os.path
import re
import textwrap
from collections.abc import Sequence

from ..stacks.record import ACCOUNTS, Record

SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")

# What a resource is for, by type prefix (first match wins); anything else goes under its service.
PURPOSES = [
    (("AWS::SSM::PatchBaseline", "AWS::SSM::MaintenanceWindow", "AWS::SSM::Association"), "Patching"),
    (("AWS::SSM::ResourceDataSync",), "Inventory data"),
    (("AWS::S3::",), "Buckets"),
    (("AWS::Glue::", "AWS::Athena::"), "Tables and reports"),
    (("AWS::QuickSight::",), "Dashboard"),
    (("AWS::SNS::", "AWS::Events::", "AWS::Chatbot::"), "Alerts"),
    (("AWS::KMS::",), "Encryption"),
    (("AWS::IAM::",), "Permissions"),
    (("AWS::Lambda::", "AWS::Logs::", "Custom::", "AWS::CloudFormation::CustomResource"), "Runs at deploy time"),
    (("AWS::CloudFormation::StackSet",), "StackSets"),
]
# Box text is wrapped at this many characters so the architecture picture stays narrow.
WRAP = 24
# This many resources alike (same type, condition and references) are drawn as one node.
ALIKE = 3


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
    labels: dict[tuple[str, str], set[str]] = {}
    for source, resource in resources.items():
        found = [
            (kind + (f" {attr}" if attr else ""), target)
            for kind, target, attr in references(resource.get("Properties", {}))
        ]
        depends = resource.get("DependsOn", [])
        found += [("DependsOn", target) for target in ([depends] if isinstance(depends, str) else depends)]
        for label, target in found:
            if target in resources and target != source:
                labels.setdefault((source, target), set()).add(label)
    return [(a, b, ", ".join(sorted(kinds))) for (a, b), kinds in sorted(labels.items())]


def stackset_members(
    template: dict, templates: dict[str, dict], texts: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """(StackSet logical id, member file name) for each StackSet whose TemplateBody is a built
    template: its text as written to output/ (`texts`), else the same data or Description; or whose
    TemplateURL names a built template's file."""
    texts = texts or {}
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"] != "AWS::CloudFormation::StackSet":
            continue
        body = resource.get("Properties", {}).get("TemplateBody")
        url = resource.get("Properties", {}).get("TemplateURL", {}).get("Fn::Sub", "")
        # By TemplateURL: the key ends in <member stem>-<16 hex digits>.yml (stacks/stackset.py member_key).
        if by_url := re.search(r"/([\w-]+)-[0-9a-f]{16}\.yml$", url):
            found += [(logical_id, name) for name in templates if name == f"{by_url[1]}.yml"]
            continue
        if not isinstance(body, str):
            continue
        same_text = [name for name, text in texts.items() if text == body]
        if same_text:
            found.append((logical_id, same_text[0]))
            continue
        from cfnlint.decode import decode_str  # reads YAML with !Ref tags, or JSON; loaded by the lint anyway

        member, _ = decode_str(body)
        for name, other in templates.items():
            if other is not template and (
                member == other
                or (member and "Description" in other and member.get("Description") == other["Description"])
            ):
                found.append((logical_id, name))
                break
    return found


def node_id(text: str) -> str:
    return "n_" + re.sub(r"\W", "_", text)


def label(*lines: str) -> str:
    return '["' + "<br/>".join(line.replace('"', "#quot;") for line in lines) + '"]'


def purpose(resource_type: str) -> str:
    for prefixes, name in PURPOSES:
        if resource_type.startswith(prefixes):
            return name
    kind = resource_type.split("::")
    return kind[1] if kind[0] == "AWS" else kind[0]


def alike(template: dict) -> dict[str, list[str]]:
    """First logical id -> the resources drawn as its one node: ALIKE or more resources of one type
    and condition that reference the same resources the same way (the six tables of one database)."""
    resources = template.get("Resources", {})
    edges = resource_edges(template)
    groups: dict[tuple, list[str]] = {}
    for logical_id, resource in resources.items():
        refs = frozenset((target, kinds) for source, target, kinds in edges if source == logical_id)
        groups.setdefault((resource["Type"], resource.get("Condition"), refs), []).append(logical_id)
    found = {}
    for ids in groups.values():
        found.update({ids[0]: ids} if len(ids) >= ALIKE else {logical_id: [logical_id] for logical_id in ids})
    order = list(resources)
    return dict(sorted(found.items(), key=lambda item: order.index(item[0])))


def member_families(members: Sequence[tuple[str, Record]]) -> dict[str, list[tuple[str, Record]]]:
    """First StackSet logical id -> its (StackSet, member) pairs drawn as one node: the StackSets of
    one rollout wave whose members are alike in place (one per operating system)."""
    families: dict[tuple, list[tuple[str, Record]]] = {}
    for logical_id, member in members:
        wave = re.search(r"Wave\d+(?=StackSet$)", logical_id)
        families.setdefault((member.placement, wave and wave[0]), []).append((logical_id, member))
    return {pairs[0][0]: pairs for pairs in families.values()}


def template_mermaid(template: dict, members: Sequence[tuple[str, Record]] = ()) -> str:
    """flowchart (top down; left to right for StackSets, one row per member): the template's
    resources in one box per purpose (patching, inventory
    data, permissions, ...), an arrow from each resource to each resource it references (labelled
    with GetAtt attribute, Sub or DependsOn; a plain Ref has no label; dotted for DependsOn alone),
    one node for resources alike (`alike`), dashed boxes for resources created only under a
    condition, and the member templates of StackSets ((StackSet logical id, member) pairs)."""
    resources = template.get("Resources", {})
    lines = [
        f"flowchart {'LR' if members else 'TB'}",
        "  classDef conditional stroke-dasharray: 5 5",
        "  classDef member fill:#e8f5e9,stroke:#2e7d32",
    ]
    nodes = alike(template)
    families = member_families(members)
    if families:  # StackSets: one node per family instead (41 StackSets would be 41 rows)
        nodes = {first: [logical_id for logical_id, _ in pairs] for first, pairs in families.items()}
    node_of = {logical_id: node_id(first) for first, ids in nodes.items() for logical_id in ids}
    groups: dict[str, list[str]] = {}
    for first in nodes:
        groups.setdefault(purpose(resources[first]["Type"]), []).append(first)
    order = [name for _, name in PURPOSES]
    for group, firsts in sorted(
        groups.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0])
    ):
        lines.append(f'  subgraph {node_id("svc_" + group)}["{group}"]')
        for first in firsts:
            resource = resources[first]
            condition = resource.get("Condition")
            extra = [f"only if {condition}"] if condition else []
            ids = nodes[first]
            kind = resource["Type"] if len(ids) == 1 else f"{len(ids)} × {resource['Type']}"
            if len(ids) > ALIKE:  # name the first and last; the count says how many
                ids, extra = [ids[0], "…", ids[-1]], ["each only if its own switch"] if condition else []
            lines.append(f"    {node_id(first)}{label(*ids, kind, *extra)}" + (":::conditional" if condition else ""))
        lines.append("  end")
    merged: dict[tuple[str, str], set[str]] = {}
    for source, target, kinds in resource_edges(template):
        merged.setdefault((node_of[source], node_of[target]), set()).update(kinds.split(", "))
    for (source, target), labels in merged.items():
        shown = ", ".join(sorted(labels - {"Ref"}))
        arrow = "-.->" if labels == {"DependsOn"} else "-->"
        lines.append(f"  {source} {arrow}{f'|{shown}|' if shown else ''} {target}")
    drawn = set()
    for first, pairs in families.items():
        files = list(dict.fromkeys(member.file for _, member in pairs))
        target = node_id("file_" + files[0])
        if target not in drawn:
            drawn.add(target)
            lines.append(f"  {target}{label(_files(files), 'member template')}:::member")
        sent = "TemplateURL" if "TemplateURL" in template["Resources"][first]["Properties"] else "TemplateBody"
        lines.append(f"  {node_of[first]} -->|{sent}| {target}")
    return "\n".join(lines)


def _files(names: list[str]) -> str:
    """One file name, or the pattern several share: <os>_suffix.yml (5 files)."""
    if len(names) == 1:
        return names[0]
    suffix = os.path.commonprefix([name[::-1] for name in names])[::-1]
    return f"&lt;os&gt;{suffix} ({len(names)} files)"


def architecture_mermaid(records: Sequence[Record], templates: dict[str, dict], members: dict[str, list]) -> str:
    """flowchart, top down: one box per account kind (management, every member account, collector)
    holding one node per step and purpose (templates alike in place share one node, such as one
    per operating system), saying what it does; thick arrows for what a StackSet deploys, thin
    labelled arrows for the data and alerts that flow on (the records' feeds and takes); a target
    that is not a template, such as the people who get the alerts, is a round node outside the
    accounts."""
    alike: dict[tuple, list[Record]] = {}
    for record in sorted(records, key=lambda r: r.step):
        alike.setdefault(record.placement, []).append(record)
    node = {record.file: node_id(same[0].file) for same in alike.values() for record in same}
    lines = ["flowchart TB", "  classDef people fill:#fff3e0,stroke:#e65100"]
    for account, title in ACCOUNTS.items():
        groups = [same for same in alike.values() if same[0].account == account]
        if not groups:
            continue
        lines.append(f'  subgraph {node_id("acct_" + account)}["{title}"]')
        for same in groups:
            does = textwrap.wrap(same[0].does, WRAP)
            files = _files([record.file for record in same])
            lines.append(
                f"    {node[same[0].file]}{label(f'<b>Step {same[0].step}</b>', *does, f'<small>{files}</small>')}"
            )
        lines.append("  end")
    edges = [(node[name], "==>", "deploys", node[member.file]) for name in templates for _, member in members[name]]
    # A flow is declared by one of its ends (record.py); they are drawn in the order of their sources.
    flows: list[tuple[Record, Record | str, str]] = [
        (record, target, what) for record in records for target, what in record.feeds
    ]
    flows += [(source, record, what) for record in records for source, what in record.takes]
    order = {record: index for index, record in enumerate(records)}
    people = {}
    for source, target, what in sorted((f for f in flows if f[0] in order), key=lambda flow: order[flow[0]]):
        if isinstance(target, str):
            people[target] = node_id("to_" + target)
            edges.append((node[source.file], "-->", what, people[target]))
        elif target in order:
            edges.append((node[source.file], "-->", what, node[target.file]))
    lines += [f'  {node}(["{target}"]):::people' for target, node in people.items()]
    lines += [f"  {a} {arrow}|{what}| {b}" for a, arrow, what, b in dict.fromkeys(edges)]
    return "\n".join(lines)
