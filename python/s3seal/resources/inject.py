"""boto3's S3 customizations of the resource classes (``boto3/s3/inject.py``): managed
transfers on ``Bucket`` and ``Object``, ``Bucket.load`` through ``list_buckets`` and
``ObjectSummary.load`` through ``head_object``.

Each function has boto3's signature and forwards to the client's managed transfer.
"""

from __future__ import annotations

from typing import Any

from s3seal.exceptions import ClientError


def bucket_load(self: Any, *args: Any, **kwargs: Any) -> None:
    """Calls s3.Client.list_buckets() to update the attributes of the Bucket resource.

    S3 has no call that describes one bucket: the bucket's entry in the listing is its data,
    {} when it is not listed or listing is denied (``creation_date`` is then None).
    """
    self.meta.data = {}
    try:
        response = self.meta.client.list_buckets()
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "AccessDenied":
            raise
        return
    for bucket_data in response["Buckets"]:
        if bucket_data["Name"] == self.name:
            self.meta.data = bucket_data
            break


def object_summary_load(self: Any, *args: Any, **kwargs: Any) -> None:
    """Calls s3.Client.head_object to update the attributes of the ObjectSummary resource."""
    response = self.meta.client.head_object(Bucket=self.bucket_name, Key=self.key)
    if "ContentLength" in response:
        response["Size"] = response.pop("ContentLength")
    self.meta.data = response


def bucket_upload_file(
    self: Any, Filename: Any, Key: str, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.upload_file(  # type: ignore[no-any-return]
        Filename=Filename, Bucket=self.name, Key=Key, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config
    )


def bucket_download_file(
    self: Any, Key: str, Filename: Any, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.download_file(  # type: ignore[no-any-return]
        Bucket=self.name, Key=Key, Filename=Filename, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config
    )


def bucket_upload_fileobj(
    self: Any, Fileobj: Any, Key: str, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.upload_fileobj(  # type: ignore[no-any-return]
        Fileobj=Fileobj, Bucket=self.name, Key=Key, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config
    )


def bucket_download_fileobj(
    self: Any, Key: str, Fileobj: Any, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.download_fileobj(  # type: ignore[no-any-return]
        Bucket=self.name, Key=Key, Fileobj=Fileobj, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config
    )


def bucket_copy(
    self: Any,
    CopySource: Any,
    Key: str,
    ExtraArgs: Any = None,
    Callback: Any = None,
    SourceClient: Any = None,
    Config: Any = None,
) -> None:
    return self.meta.client.copy(  # type: ignore[no-any-return]
        CopySource=CopySource,
        Bucket=self.name,
        Key=Key,
        ExtraArgs=ExtraArgs,
        Callback=Callback,
        SourceClient=SourceClient,
        Config=Config,
    )


def object_upload_file(
    self: Any, Filename: Any, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.upload_file(  # type: ignore[no-any-return]
        Filename=Filename,
        Bucket=self.bucket_name,
        Key=self.key,
        ExtraArgs=ExtraArgs,
        Callback=Callback,
        Config=Config,
    )


def object_download_file(
    self: Any, Filename: Any, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.download_file(  # type: ignore[no-any-return]
        Bucket=self.bucket_name,
        Key=self.key,
        Filename=Filename,
        ExtraArgs=ExtraArgs,
        Callback=Callback,
        Config=Config,
    )


def object_upload_fileobj(
    self: Any, Fileobj: Any, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.upload_fileobj(  # type: ignore[no-any-return]
        Fileobj=Fileobj,
        Bucket=self.bucket_name,
        Key=self.key,
        ExtraArgs=ExtraArgs,
        Callback=Callback,
        Config=Config,
    )


def object_download_fileobj(
    self: Any, Fileobj: Any, ExtraArgs: Any = None, Callback: Any = None, Config: Any = None
) -> None:
    return self.meta.client.download_fileobj(  # type: ignore[no-any-return]
        Bucket=self.bucket_name,
        Key=self.key,
        Fileobj=Fileobj,
        ExtraArgs=ExtraArgs,
        Callback=Callback,
        Config=Config,
    )


def object_copy(
    self: Any,
    CopySource: Any,
    ExtraArgs: Any = None,
    Callback: Any = None,
    SourceClient: Any = None,
    Config: Any = None,
) -> None:
    return self.meta.client.copy(  # type: ignore[no-any-return]
        CopySource=CopySource,
        Bucket=self.bucket_name,
        Key=self.key,
        ExtraArgs=ExtraArgs,
        Callback=Callback,
        SourceClient=SourceClient,
        Config=Config,
    )


def _inject(attrs: dict[str, Any], methods: dict[str, Any]) -> None:
    """Add methods to a class being built; a clash with a modeled name is a bug (as boto3)."""
    for name, function in methods.items():
        if name in attrs:
            raise RuntimeError(
                f"Cannot inject class attribute {name!r}, attribute already exists in class dict."
            )
        attrs[name] = function


def inject_bucket_methods(attrs: dict[str, Any]) -> None:
    _inject(
        attrs,
        {
            "load": bucket_load,
            "upload_file": bucket_upload_file,
            "download_file": bucket_download_file,
            "copy": bucket_copy,
            "upload_fileobj": bucket_upload_fileobj,
            "download_fileobj": bucket_download_fileobj,
        },
    )


def inject_object_methods(attrs: dict[str, Any]) -> None:
    _inject(
        attrs,
        {
            "upload_file": object_upload_file,
            "download_file": object_download_file,
            "copy": object_copy,
            "upload_fileobj": object_upload_fileobj,
            "download_fileobj": object_download_fileobj,
        },
    )


def inject_object_summary_methods(attrs: dict[str, Any]) -> None:
    _inject(attrs, {"load": object_summary_load})


# boto3 registers these for ``creating-resource-class.s3.<Name>``.
S3_CUSTOMIZATIONS = {
    "s3.Bucket": inject_bucket_methods,
    "s3.Object": inject_object_methods,
    "s3.ObjectSummary": inject_object_summary_methods,
}
