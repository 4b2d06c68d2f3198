"""The resource data sync, shared by the collector stack and the source-account stack."""

from types import SimpleNamespace

from troposphere import Equals, If, NoValue, Ref, Template, ssm

from . import parameters as p

GROUP = "Resource Data Sync"


def add_parameters(template: Template) -> SimpleNamespace:
    """The design's sync parameters (pSyncName, pSyncType, pBucketRegion, pBucketPrefix) and the
    source settings of the SyncFromSource (Systems Manager Explorer) variant."""
    params = SimpleNamespace(
        name=p.add(
            template,
            "pSyncName",
            GROUP,
            "Sync name",
            Default="inventory-sync",
            Description="Name of the resource data sync (one per account, Region and name).",
            **p.SYNC_NAME,
        ),
        type=p.add(
            template,
            "pSyncType",
            GROUP,
            "Sync type",
            Default="SyncToDestination",
            Description=(
                "SyncToDestination writes inventory to the S3 bucket; SyncFromSource "
                "feeds Systems Manager Explorer from AWS Organizations or several Regions "
                "and writes nothing to S3."
            ),
            **p.SYNC_TYPE,
        ),
        region=p.add(
            template,
            "pBucketRegion",
            GROUP,
            "Bucket Region",
            Default="us-east-1",
            Description="Region of the resource data sync bucket.",
            **p.REGION,
        ),
        prefix=p.add(
            template,
            "pBucketPrefix",
            GROUP,
            "Bucket prefix",
            Default="inventory",
            Description="Folder inside the bucket that the sync writes to, without slashes at either end.",
            **p.BUCKET_PREFIX,
        ),
        source_type=p.add(
            template,
            "pSyncSourceType",
            GROUP,
            "Explorer source (SyncFromSource only)",
            Default="SingleAccountMultiRegions",
            Description="For SyncFromSource: the whole organization or this account's Regions.",
            **p.SYNC_SOURCE_TYPE,
        ),
        source_regions=p.add(
            template,
            "pSyncSourceRegions",
            GROUP,
            "Explorer Regions (SyncFromSource only)",
            Default="us-east-1",
            Description="For SyncFromSource: Regions to aggregate, separated by commas.",
            **p.REGION_LIST,
        ),
    )
    template.add_condition("SyncToDestination", Equals(Ref(params.type), "SyncToDestination"))
    template.add_condition("SyncFromOrganization", Equals(Ref(params.source_type), "AwsOrganizations"))
    return params


def resource_data_sync(
    template: Template, params: SimpleNamespace, bucket, kms_key: p.Parameter, **attributes
) -> ssm.ResourceDataSync:
    """The sync: into `bucket` as JSON (SyncToDestination) or from the source (SyncFromSource).

    Every property of a sync is create-only: changing a parameter replaces the sync.
    """
    return template.add_resource(
        ssm.ResourceDataSync(
            "ResourceDataSync",
            SyncName=Ref(params.name),
            SyncType=Ref(params.type),
            S3Destination=If(
                "SyncToDestination",
                ssm.S3Destination(
                    BucketName=bucket,
                    BucketPrefix=Ref(params.prefix),
                    BucketRegion=Ref(params.region),
                    SyncFormat="JsonSerDe",
                    KMSKeyArn=If(p.has_value(template, kms_key), Ref(kms_key), NoValue),
                ),
                NoValue,
            ),
            SyncSource=If(
                "SyncToDestination",
                NoValue,
                ssm.SyncSource(
                    SourceType=Ref(params.source_type),
                    SourceRegions=Ref(params.source_regions),
                    IncludeFutureRegions=False,
                    AwsOrganizationsSource=If(
                        "SyncFromOrganization",
                        ssm.AwsOrganizationsSource(OrganizationSourceType="EntireOrganization"),
                        NoValue,
                    ),
                ),
            ),
            **attributes,
        )
    )
