"""The Mermaid pictures (reference/pictures.py): references between resources, one picture per
template, the StackSet's members, the architecture across accounts, and the syntax they are written in."""

import json
import re

import pytest
from conftest import ROOT, template_dict
from troposphere import Template

from patch_templates.reference import docs, pictures
from patch_templates.stacks import (
    ANALYTICS,
    RECORDS,
    central_alerts,
    collector,
    compliance_reports,
    default_host_management,
    patch_now_administration,
    patching,
    patching_member,
    quicksight_dashboard,
    resource_data_sync,
    shared_member,
    stackset,
)
from patch_templates.stacks.record import ACCOUNTS, Record

COLLECTOR, MEMBER, SHARED, SYNC, DHMC = (
    collector.RECORD,
    patching_member.RECORD,
    shared_member.RECORD,
    resource_data_sync.RECORD,
    default_host_management.RECORD,
)
PATCHING = list(patching.RECORDS.values())
# What the standalone files' names share after the operating system.
PATCHING_SUFFIX = patching.RECORDS["windows"].file.removeprefix("windows")
STRING = dict(Type="String", AllowedPattern=r"^[a-z]{3}$", ConstraintDescription="three letters")


def members(templates: dict[str, dict]) -> dict[str, list]:
    """Every template's (StackSet, member record) pairs, as docs.generate finds them."""
    by_file = {record.file: record for record in RECORDS}
    return {
        name: [(logical_id, by_file[file]) for logical_id, file in pictures.stackset_members(t, templates)]
        for name, t in templates.items()
    }


SAMPLE = {
    "Description": "sample member",
    "Parameters": {"pName": dict(STRING, Default="abc", Description="a | b")},
    "Metadata": {
        "AWS::CloudFormation::Interface": {
            "ParameterGroups": [{"Label": {"default": "Names"}, "Parameters": ["pName"]}],
            "ParameterLabels": {"pName": {"default": "Name"}},
        }
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "pName"}}},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Condition": "Maybe",
            "Properties": {
                "Policies": [
                    {
                        "PolicyDocument": {
                            "Resource": [
                                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}"},
                                {"Fn::Sub": ["${Local}/${Topic.TopicName}", {"Local": {"Fn::GetAtt": "Bucket.Arn"}}]},
                            ]
                        }
                    }
                ]
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": "Bucket", "Properties": {}},
        "Hook": {
            "Type": "Custom::Hook",
            "DependsOn": ["Topic", "Role"],
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Role", "Arn"]}},
        },
    },
}


def test_references_follow_ref_getatt_sub_and_skip_locals_pseudo_and_literals():
    found = set(pictures.references(SAMPLE["Resources"]["Role"]["Properties"]))
    assert found == {
        ("Sub", "AWS::Partition", ""),
        ("Sub", "Bucket", ""),
        ("GetAtt", "Bucket", "Arn"),
        ("Sub", "Topic", "TopicName"),
    }


def test_resource_edges_between_resources_only():
    assert pictures.resource_edges(SAMPLE) == [
        ("Hook", "Role", "DependsOn, GetAtt Arn"),
        ("Hook", "Topic", "DependsOn"),
        ("Role", "Bucket", "GetAtt Arn, Sub"),
        ("Role", "Topic", "Sub TopicName"),
        ("Topic", "Bucket", "DependsOn"),
    ]


def test_template_picture_shows_every_resource_edge_condition_and_service():
    picture = pictures.template_mermaid(SAMPLE, [])
    assert picture.startswith("flowchart TB")
    for logical_id, resource in SAMPLE["Resources"].items():
        assert f'n_{logical_id}["{logical_id}<br/>{resource["Type"]}' in picture
    assert 'n_Role["Role<br/>AWS::IAM::Role<br/>only if Maybe"]:::conditional' in picture
    assert "n_Topic -.->|DependsOn| n_Bucket" in picture and "n_Hook -->|DependsOn, GetAtt Arn| n_Role" in picture
    assert {
        'subgraph n_svc_Buckets["Buckets"]',
        'subgraph n_svc_Runs_at_deploy_time["Runs at deploy time"]',
        'subgraph n_svc_Permissions["Permissions"]',
        'subgraph n_svc_Alerts["Alerts"]',
    } <= set(map(str.strip, picture.splitlines()))
    assert len(re.findall(r"-->|-\.->", picture)) == len(pictures.resource_edges(SAMPLE))


def test_alike_resources_share_one_node_and_plain_refs_have_no_label():
    tables = {
        f"Table{i}": {"Type": "AWS::Glue::Table", "Properties": {"DatabaseName": {"Ref": "Database"}}} for i in range(3)
    }
    template = {
        "Resources": {
            "Database": {"Type": "AWS::Glue::Database", "Properties": {}},
            **tables,
            "Lonely": {"Type": "AWS::Glue::Table", "Properties": {"DatabaseName": "other"}},
            "Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {"Tables": [{"Ref": name} for name in tables]}},
        }
    }
    assert pictures.alike(template) == {
        "Database": ["Database"],
        "Table0": ["Table0", "Table1", "Table2"],
        "Lonely": ["Lonely"],
        "Crawler": ["Crawler"],
    }
    picture = pictures.template_mermaid(template, [])
    assert 'n_Table0["Table0<br/>Table1<br/>Table2<br/>3 × AWS::Glue::Table"]' in picture
    assert picture.count("n_Crawler --> n_Table0") == 1 and "n_Table0 --> n_Database" in picture
    assert "n_Table1" not in picture and "|Ref|" not in picture
    check_mermaid(picture)
    two = {name: tables[name] for name in ["Table0", "Table1"]}
    assert pictures.alike({"Resources": two}) == {"Table0": ["Table0"], "Table1": ["Table1"]}  # fewer than ALIKE


def stackset_of(*bodies: str) -> dict:
    return {
        "Description": "sets",
        "Resources": {
            f"Set{i}": {"Type": "AWS::CloudFormation::StackSet", "Properties": {"TemplateBody": body}}
            for i, body in enumerate(bodies)
        },
    }


def test_stackset_members_found_from_json_or_yaml_body():
    from troposphere import s3

    other = dict(SAMPLE, Description="other member")
    yaml_member = Template(Description="yaml member")
    yaml_member.add_resource(s3.Bucket("Bucket"))
    templates = {"a.yml": SAMPLE, "b.yml": other, "c.yml": yaml_member.to_dict()}
    templates["set.yml"] = stackset_of(json.dumps(other), yaml_member.to_yaml())
    assert pictures.stackset_members(templates["set.yml"], templates) == [("Set0", "b.yml"), ("Set1", "c.yml")]
    member = Record("c.yml", Template, step=3, account="source", does="member")
    picture = pictures.template_mermaid(templates["set.yml"], [("Set1", member)])
    assert "n_Set1 -->|TemplateBody| n_file_c_yml" in picture


def test_stackset_members_found_from_their_template_url():
    url = "https://${pTemplateBucketName}.s3.${AWS::Region}.${AWS::URLSuffix}/patch-templates/a-0123456789abcdef.yml"
    templates = {"a.yml": SAMPLE, "set.yml": stackset_of(json.dumps(SAMPLE))}
    templates["set.yml"]["Resources"]["Set0"]["Properties"] = {"TemplateURL": {"Fn::Sub": url}}
    assert pictures.stackset_members(templates["set.yml"], templates) == [("Set0", "a.yml")]
    member = Record("a.yml", Template, step=3, account="source", does="member")
    assert "n_Set0 -->|TemplateURL| n_file_a_yml" in pictures.template_mermaid(templates["set.yml"], [("Set0", member)])
    # A key without the 16 hex digits names no member.
    templates["set.yml"]["Resources"]["Set0"]["Properties"] = {"TemplateURL": {"Fn::Sub": url.replace("-0123", "-x")}}
    assert pictures.stackset_members(templates["set.yml"], templates) == []


def full_registry() -> dict[str, dict]:
    """The real collector and central alerts templates, stand-ins for every other registered one."""
    templates = {record.file: template_dict(record) for record in (COLLECTOR, central_alerts.RECORD)}
    for record in PATCHING:  # alike: same account, step and resource types
        templates[record.file] = dict(SAMPLE, Description=f"patching {record.file}")
    templates[MEMBER.file] = {
        "Description": "patching member",
        "Resources": {"MaintenanceWindow": {"Type": "AWS::SSM::MaintenanceWindow", "Properties": {}}},
    }
    templates[SHARED.file] = {
        "Description": "shared member",
        "Resources": {"ResourceDataSync": {"Type": "AWS::SSM::ResourceDataSync", "Properties": {}}},
    }
    templates[SYNC.file] = {
        "Description": "sync",
        "Resources": {"ResourceDataSync": {"Type": "AWS::SSM::ResourceDataSync", "Properties": {}}},
    }
    templates[ANALYTICS.file] = {
        "Description": "analytics",
        "Resources": {"Crawler": {"Type": "AWS::Glue::Crawler", "Properties": {}}},
    }
    templates[compliance_reports.RECORD.file] = {
        "Description": "reports",
        "Resources": {"ComplianceSnapshotSchedule": {"Type": "AWS::Scheduler::Schedule", "Properties": {}}},
    }
    templates[DHMC.file] = {
        "Description": "dhmc",
        "Resources": {"DefaultHostManagementFunction": {"Type": "AWS::Lambda::Function", "Properties": {}}},
    }
    members = [json.dumps(templates[r.file]) for r in [MEMBER, SHARED]]
    templates[quicksight_dashboard.RECORD.file] = {
        "Description": "dashboard",
        "Resources": {"Dashboard": {"Type": "AWS::QuickSight::Dashboard", "Properties": {}}},
    }
    templates[stackset.RECORD.file] = stackset_of(*members)
    templates[patch_now_administration.RECORD.file] = template_dict(patch_now_administration.RECORD)
    return templates


def test_architecture_places_templates_by_account_and_draws_stacksets_and_flows():
    templates = full_registry()
    assert set(templates) == {record.file for record in RECORDS}
    picture = pictures.architecture_mermaid(RECORDS, templates, members(templates))
    blocks = re.findall(r'subgraph n_acct_(\w+)\["([^"]+)"\]\n(.*?)\n  end', picture, re.S)
    assert [(kind, title) for kind, title, _ in blocks] == list(ACCOUNTS.items())
    inside = {kind: body for kind, _, body in blocks}
    assert stackset.RECORD.file in inside["management"]
    node = {record: "n_" + re.sub(r"\W", "_", record.file) for record in RECORDS}
    assert all(node[r] in inside["source"] for r in [MEMBER, SHARED])
    # the standalone files, never deployed beside the members, in a box of their own
    assert all(node[r] in inside["single"] and node[r] not in inside["source"] for r in [PATCHING[0], SYNC, DHMC])
    assert f"&lt;os&gt;{PATCHING_SUFFIX} ({len(PATCHING)} files)" in inside["single"]
    assert COLLECTOR.file in inside["collector"] and ANALYTICS.file in inside["collector"]
    # Alike templates share one node (the standalone patching ones).
    assert inside["source"].count("\n") == 1 and inside["single"].count("\n") == 2
    for member in (MEMBER, SHARED):
        assert picture.count(f"{node[stackset.RECORD]} ==>|deploys| {node[member]}") == 1
    for alone in (PATCHING[0], SYNC, DHMC):  # standalone: deployed alone
        assert f"==>|deploys| {node[alone]}" not in picture
    # Flows, whichever end declares them: the sync feeds the collector, the analytics stack takes from it.
    for sync in (SHARED, SYNC):
        assert f"{node[sync]} -->|inventory and compliance JSON| {node[COLLECTOR]}" in picture
    assert f"{node[COLLECTOR]} -->|Glue crawler reads the JSON| {node[ANALYTICS]}" in picture
    assert f"{node[MEMBER]} -->|scan and install on schedule: node compliance| {node[SHARED]}" in picture
    central = node[central_alerts.RECORD]
    assert f"{node[MEMBER]} -->|failed runs, non-compliant nodes: events| {central}" in picture
    # Alerts leave the accounts for people: round nodes outside every account box.
    assert f"{central} -->|one readable alert per failure| n_to_operators__e_mail___Slack_" in picture
    assert f"{node[PATCHING[0]]} -->|failed patch runs: SNS e-mail| n_to_operators__e_mail_" in picture
    assert 'n_to_operators__e_mail_(["operators (e-mail)"]):::people' in picture
    assert all("n_to_operators" not in body for body in inside.values())


# -- Mermaid syntax (the subset the generator writes; rendered by hand with mermaid-cli too) --

LINE = re.compile(
    r"""\s*(?:
    (?P<head>flowchart\ (?:TB|LR)) |
    classDef\ \w+\ [^;]+ |
    subgraph\ (?P<group>n_\w+)\["[^"]+"\] |
    end |
    (?P<node>n_\w+)(?:\["[^"|]+"\]|\(\["[^"|]+"\]\))(?::::\w+)? |
    (?P<src>n_\w+)\ (?:-->|-\.->|==>)(?:\|[^|"]+\|)?\ (?P<dst>n_\w+)
)$""",
    re.X,
)


def check_mermaid(picture: str) -> None:
    nodes, edges, depth = set(), [], 0
    for line in picture.splitlines():
        match = LINE.fullmatch(line)
        assert match, line
        depth += bool(match["group"]) - (line.strip() == "end")
        assert depth >= 0, line
        nodes.add(match["node"] or match["group"])
        edges += [(match["src"], match["dst"])] if match["src"] else []
    assert picture.splitlines()[0] in ("flowchart TB", "flowchart LR") and depth == 0
    assert {end for edge in edges for end in edge} <= nodes


def test_every_committed_picture_is_well_formed():
    pages = [ROOT / "docs" / "architecture.md", *(ROOT / "docs" / "templates").glob("*.md")]
    pictures = [p for page in pages for p in re.findall(r"```mermaid\n(.*?)\n```", page.read_text(), re.S)]
    assert len(pictures) == len(RECORDS) + 1
    for picture in pictures:
        check_mermaid(picture)


def test_pictures_of_a_full_registry_are_well_formed():
    for text in docs.generate(RECORDS, full_registry()).values():
        for picture in re.findall(r"```mermaid\n(.*?)\n```", text, re.S):
            check_mermaid(picture)
    with pytest.raises(AssertionError):
        check_mermaid('flowchart TB\n  n_a["a"]\n  n_a -->|Ref| n_b')  # an edge to no node


def test_stackset_picture_draws_each_wave_and_how_its_member_is_sent():
    """The patching member of each wave goes by TemplateURL, the shared one by TemplateBody; the
    waves' StackSets share the one member file."""
    templates = {record.file: template_dict(record) for record in (stackset.RECORD, MEMBER, SHARED)}
    found = pictures.stackset_members(templates[stackset.RECORD.file], templates)
    by_file = {record.file: record for record in RECORDS}
    picture = pictures.template_mermaid(
        templates[stackset.RECORD.file], [(logical_id, by_file[file]) for logical_id, file in found]
    )
    assert sorted(found) == [
        ("PatchingStackSet", MEMBER.file),
        ("PatchingWave2StackSet", MEMBER.file),
        ("PatchingWave3StackSet", MEMBER.file),
        ("SharedStackSet", SHARED.file),
    ]
    member_node = f"n_file_{MEMBER.file.replace('.', '_')}"
    assert picture.count(f"-->|TemplateURL| {member_node}") == 3
    assert picture.count("-->|TemplateBody|") == 1
    check_mermaid(picture)
