"""Source account: the resource data sync that ships this account's inventory into the collector
bucket (design step 3). Deployed into every account and Region by the StackSet."""

from troposphere import Output, Ref, Template

from .. import parameters as p, sync


def build() -> Template:
    t = Template(Description=(
        "Source account: Systems Manager resource data sync of this account and Region into the "
        "collector's S3 bucket (SyncToDestination), or the Systems Manager Explorer variant "
        "(SyncFromSource)."))

    bucket_name = p.add(t, "pResourceDataSyncBucketName", sync.GROUP, "Bucket name",
                        Description="Name of the collector's resource data sync bucket (output "
                                    "ResourceDataSyncBucketName of the collector stack). Not used with "
                                    "SyncFromSource.",
                        **p.BUCKET_NAME)
    sync_params = sync.add_parameters(t)
    kms_key = p.add(t, "pKMSKeyArn", sync.GROUP, "KMS key ARN (optional)", Default="",
                    Description="The collector bucket's customer managed KMS key (the collector's "
                                "pKMSKeyArn); empty when the bucket uses S3-managed encryption.",
                    **p.optional(p.KMS_KEY_ARN))

    data_sync = sync.resource_data_sync(t, sync_params, Ref(bucket_name), kms_key)

    t.add_output(Output("ResourceDataSyncName", Description="Name of this account's resource data sync",
                        Value=Ref(data_sync)))
    return t
