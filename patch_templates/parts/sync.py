"""The resource data sync, shared by the collector stack and the source-account stack."""

from dataclasses import dataclass

from troposphere import Equals, If, NoValue, Parameter, Ref, Template, ssm

from . import parameters as p

GROUP = "Resource Data Sync"


@dataclass(frozen=True)
class SyncParameters:
    name: Parameter
    type: Parameter
    region: Parameter  # of the bucket
    prefix: Parameter  # in the bucket
    source_type: Parameter
    source_regions: Parameter
    to_destination: str  # condition: SyncToDestination (else SyncFromSource)
    from_organization: str  # condition: SyncFromSource of the whole organization


def add_parameters(template: Template) -> SyncParameters:
    """The sync's parameters (pSyncName, pSyncType, pBucketRegion, pBucketPrefix) and the source
    settings of the SyncFromSource (Systems Manager Explorer) variant, and their conditions."""

    def add(name, label, **properties):
        return p.add(template, name, GROUP, label, **properties)

    name = add(
        "pSyncName",
        "Sync name",
        Default="inventory-sync",
        Description="Name of the resource data sync (one per account, Region and name).",
        **p.SYNC_NAME,
    )
    sync_type = add(
        "pSyncType",
        "Sync type",
        Default="SyncToDestination",
        Description=(
            "SyncToDestination writes inventory to the S3 bucket; SyncFromSource "
            "feeds Systems Manager Explorer from AWS Organizations or several Regions "
            "and writes nothing to S3."
        ),
        **p.SYNC_TYPE,
    )
    region = add(
        "pBucketRegion",
        "Bucket Region",
        Default="us-east-1",
        Description="Region of the resource data sync bucket.",
        **p.REGION,
    )
    prefix = add(
        "pBucketPrefix",
        "Bucket prefix",
        Default="inventory",
        Description="Folder inside the bucket that the sync writes to, without slashes at either end.",
        **p.BUCKET_PREFIX,
    )
    source_type = add(
        "pSyncSourceType",
        "Explorer source (SyncFromSource only)",
        Default="SingleAccountMultiRegions",
        Description="For SyncFromSource: the whole organization or this account's Regions.",
        **p.SYNC_SOURCE_TYPE,
    )
    source_regions = add(
        "pSyncSourceRegions",
        "Explorer Regions (SyncFromSource only)",
        Default="us-east-1",
        Description="For SyncFromSource: Regions to aggregate, separated by commas.",
        **p.REGION_LIST,
    )
    return SyncParameters(
        name,
        sync_type,
        region,
        prefix,
        source_type,
        source_regions,
        to_destination=template.add_condition("SyncToDestination", Equals(Ref(sync_type), "SyncToDestination")),
        from_organization=template.add_condition("SyncFromOrganization", Equals(Ref(source_type), "AwsOrganizations")),
    )


def resource_data_sync(
    template: Template, params: SyncParameters, bucket, kms_key: Parameter, **attributes
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
                params.to_destination,
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
                params.to_destination,
                NoValue,
                ssm.SyncSource(
                    SourceType=Ref(params.source_type),
                    SourceRegions=Ref(params.source_regions),
                    IncludeFutureRegions=False,
                    AwsOrganizationsSource=If(
                        params.from_organization,
                        ssm.AwsOrganizationsSource(OrganizationSourceType="EntireOrganization"),
                        NoValue,
                    ),
                ),
            ),
            **attributes,
        )
    )
