"""Custom resource: start the Glue crawler named by the CrawlerName property on Create and Update (a
running crawler counts as started), nothing on Delete. Standard library, boto3 and custom_resource.py only:
the build makes them the function's inline code."""

from .custom_resource import serve

PHYSICAL_ID = "CrawlerInitializer"


def handler(event, context):
    serve(event, context, start, event.get("PhysicalResourceId") or PHYSICAL_ID)


def start(request):
    if request.event["RequestType"] == "Delete":
        return "Nothing to do on Delete", request.physical_id, {}
    name = request.event["ResourceProperties"]["CrawlerName"]
    glue = request.client("glue")
    try:
        request.call(glue.start_crawler, Name=name)
        return f"Started crawler {name}", request.physical_id, {}
    except glue.exceptions.CrawlerRunningException:
        return f"Crawler {name} is already running", request.physical_id, {}
