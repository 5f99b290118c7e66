"""boto3's resource API: the same scripts through ``boto3.resource`` and ``s3seal.resource`` on
the same ministack, compared; the generated classes compared with boto3's, without a server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3seal
from conftest import SSE_KEY
from s3seal._resource_data import RESOURCES
from s3seal.resources import ResourceLoadException

SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
KMS_KEY = "alias/s3seal-test-kms-key"
OFFLINE = {
    "region_name": "us-east-1",
    "endpoint_url": "http://127.0.0.1:9",
    "aws_access_key_id": "a",
    "aws_secret_access_key": "b",
}


@pytest.fixture(params=["boto3", "s3seal"])
def sdk(request: pytest.FixtureRequest) -> Any:
    return boto3 if request.param == "boto3" else s3seal


def _public(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def _both(**kwargs: Any) -> tuple[Any, Any]:
    return boto3.resource("s3", **kwargs), s3seal.resource("s3", **kwargs)


def _strip(value: Any) -> Any:
    """A response without what differs between two calls: request ids, dates, version ids."""
    volatile = {"ResponseMetadata", "LastModified", "VersionId", "CreationDate", "Expiration"}
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


# --- the generated classes, without a server --------------------------------------------------


def test_every_resource_class_has_boto3s_names_and_repr() -> None:
    theirs, ours = _both(**OFFLINE)
    assert _public(ours) == _public(theirs)
    assert ours.get_available_subresources() == theirs.get_available_subresources()
    for name in theirs.get_available_subresources():
        identifiers = RESOURCES[name].get("identifiers", [])
        args = [f"id{i}" for i in range(len(identifiers))]
        mine, real = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert _public(mine) == _public(real), name
        assert repr(mine) == repr(real) and type(mine).__name__ == type(real).__name__
        assert mine.meta.identifiers == real.meta.identifiers
        assert mine.get_available_subresources() == real.get_available_subresources()
        for collection in real.meta.resource_model.collections:
            theirs_c, ours_c = getattr(real, collection.name), getattr(mine, collection.name)
            assert repr(ours_c) == repr(theirs_c)
            assert repr(ours_c.filter(Prefix="p")) == repr(theirs_c.filter(Prefix="p"))
            assert _public(ours_c.all()) == _public(theirs_c.all()), (name, collection.name)
            assert _public(ours_c) == _public(theirs_c), (name, collection.name)


def test_generated_data_is_boto3s_resource_model() -> None:
    """``_resource_data`` is boto3's installed ``resources-1.json``, unchanged (regenerate with
    tools/gen_resource_data.py after a boto3 upgrade)."""
    from s3seal import _resource_data

    path = Path(boto3.__file__).parent / "data/s3/2006-03-01/resources-1.json"
    model = json.loads(path.read_text())
    assert _resource_data.SERVICE == model["service"] and _resource_data.RESOURCES == model["resources"]


def test_identity_equality_hash_and_introspection() -> None:
    s3 = s3seal.resource("s3", **OFFLINE)
    obj = s3.Object("b", "k")
    assert obj == s3.Object(bucket_name="b", key="k") == s3.Bucket("b").Object("k")
    assert obj != s3.Object("b", "other") and obj != s3.ObjectSummary("b", "k")
    assert len({obj, s3.Object("b", "k"), s3.ObjectSummary("b", "k")}) == 2
    assert repr(obj) == "s3.Object(bucket_name='b', key='k')"
    assert isinstance(s3.meta.client, s3seal.S3Client)
    assert obj.meta.client is s3.meta.client
    model = obj.meta.resource_model
    assert model.name == "Object" and model.shape == "HeadObjectOutput"
    assert [a.name for a in model.actions][:3] == ["copy_from", "delete", "get"]
    assert [w.name for w in model.waiters] == ["wait_until_exists", "wait_until_not_exists"]
    assert s3.Bucket("b").Versioning().bucket_name == "b"
    assert s3.MultipartUpload("b", "k", "id").Part(3).part_number == 3
    with pytest.raises(ValueError, match="Required parameter key not set"):
        s3.Object("b")
    with pytest.raises(ValueError, match="Unknown keyword argument"):
        s3.Bucket(name="b", nope=1)
    with pytest.raises(ResourceLoadException):
        _ = s3.MultipartUploadPart("b", "k", "u", 1).size  # a part has no load: only listings fill it


def test_no_boto3_or_botocore_at_runtime() -> None:
    """The resource layer runs on its generated data: with boto3 and botocore unimportable."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, *a):\n"
        "        if name.split('.')[0] in ('boto3', 'botocore', 's3transfer'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import s3seal\n"
        f"s3 = s3seal.resource('s3', **{OFFLINE!r})\n"
        "o = s3.Bucket('b').Object('k')\n"
        "print(repr(o), 'content_length' in dir(o), repr(s3.Bucket('b').objects.filter(Prefix='p')))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root / "python"), "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    assert out.split() == [
        "s3.Object(bucket_name='b',",
        "key='k')",
        "True",
        "s3.Bucket.objectsCollection(s3.Bucket(name='b'),",
        "s3.ObjectSummary)",
    ]


# --- the same script through boto3 and s3seal, on ministack ------------------------------------


def _object_script(s3: Any, name: str, tmp: Path) -> dict[str, Any]:
    """Bucket and Object actions, attributes, references, waiters and errors."""
    seen: dict[str, Any] = {}
    bucket = s3.Bucket(name)
    seen["create"] = _strip(bucket.create())
    bucket.wait_until_exists()
    seen["creation_date_set"] = bucket.creation_date is not None
    obj = bucket.Object("dir/a.txt")
    seen["put"] = _strip(obj.put(Body=b"hello", ContentType="text/plain", Metadata={"m": "v"}))
    obj.wait_until_exists()
    seen["attrs"] = (obj.content_length, obj.content_type, obj.metadata, obj.e_tag)
    seen["get"] = obj.get()["Body"].read()
    seen["put_object"] = repr(bucket.put_object(Key="b.bin", Body=b"\0" * 10))
    copy = bucket.Object("c.txt")
    result = copy.copy_from(CopySource={"Bucket": name, "Key": "dir/a.txt"}, MetadataDirective="COPY")
    seen["copy_from"] = sorted(result)
    seen["copy_attrs"] = (copy.content_length, copy.metadata)
    summaries = list(bucket.objects.all())
    seen["summaries"] = [(o.key, o.size, o.e_tag, o.storage_class) for o in summaries]
    seen["summary_refs"] = [repr(summaries[0].Object()), repr(summaries[0].Bucket())]
    fresh = s3.ObjectSummary(name, "dir/a.txt")
    seen["summary_load"] = (fresh.size, fresh.e_tag)  # head_object, ContentLength as Size
    seen["bucket_ref"] = repr(obj.Bucket())
    missing = bucket.Object("missing")
    missing.wait_until_not_exists()
    errors = (
        ("err_load", missing.load),
        ("err_get", missing.get),
        ("err_bucket_load", s3.Bucket(name + "-x").load),
    )
    for label, call in errors:
        try:
            call()
            seen[label] = "ok"
        except Exception as e:
            seen[label] = (type(e).__name__, e.response["Error"]["Code"])  # type: ignore[attr-defined]
    try:
        missing.get()
    except s3.meta.client.exceptions.NoSuchKey as e:
        seen["modeled"] = e.response["Error"]["Code"]
    seen["missing_bucket_date"] = s3.Bucket(name + "-x").creation_date
    obj.download_file(str(tmp / "a.txt"))
    bucket.upload_file(str(tmp / "a.txt"), "up.txt")
    buf = io.BytesIO()
    bucket.download_fileobj("up.txt", buf)
    s3.Object(name, "copy2.txt").copy({"Bucket": name, "Key": "up.txt"})
    seen["transfers"] = (buf.getvalue(), s3.Object(name, "copy2.txt").get()["Body"].read())
    seen["delete"] = _strip(obj.delete())
    return seen


def _subresource_script(s3: Any, name: str) -> dict[str, Any]:
    """Versioning, tagging, CORS and multipart uploads through their sub-resources."""
    seen: dict[str, Any] = {}
    bucket = s3.create_bucket(Bucket=name)
    seen["bucket"] = type(bucket).__name__
    versioning = bucket.Versioning()
    seen["versioning_before"] = versioning.status
    versioning.enable()
    seen["versioning_after"] = versioning.status  # reloaded after the action
    obj = bucket.Object("v")
    obj.put(Body=b"one")
    obj.put(Body=b"two")
    versions = list(bucket.object_versions.filter(Prefix="v"))
    seen["versions"] = [(type(v).__name__, v.key, v.size, v.is_latest) for v in versions]
    seen["old"] = versions[-1].get()["Body"].read()
    seen["version_head"] = versions[-1].head()["ContentLength"]
    tagging = bucket.Tagging()
    tagging.put(Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    seen["tags"] = tagging.tag_set
    cors = bucket.Cors()
    cors.put(CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    seen["cors"] = [{k: r[k] for k in ("AllowedMethods", "AllowedOrigins")} for r in cors.cors_rules]
    upload = bucket.Object("mp").initiate_multipart_upload(ContentType="text/plain")
    seen["upload"] = (type(upload).__name__, upload.object_key)
    seen["uploads"] = [u.object_key for u in bucket.multipart_uploads.all()]
    part = upload.Part(1)
    etag = part.upload(Body=b"part-one")["ETag"]
    seen["parts"] = [(p.part_number, p.size) for p in upload.parts.all()]
    done = upload.complete(MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    seen["complete"] = (repr(done).replace(name, "B"), done.get()["Body"].read())
    seen["batch_delete"] = [_strip(r) for r in bucket.object_versions.delete()]
    seen["left"] = list(bucket.object_versions.all())
    return seen


def _rename(value: Any, name: str) -> Any:
    return repr(value).replace(name, "BUCKET")


def test_object_and_bucket_script_matches_boto3(ministack, tmp_path: Path) -> None:
    results = []
    for sdk in (boto3, s3seal):
        s3 = sdk.resource("s3", **ministack.client_kwargs())
        name = f"r-{uuid.uuid4().hex[:12]}"
        (tmp_path / sdk.__name__).mkdir()
        results.append(_rename(_object_script(s3, name, tmp_path / sdk.__name__), name))
    assert results[1] == results[0]
    assert "('ClientError', '404')" in results[0] and "'modeled': 'NoSuchKey'" in results[0]


def test_session_resource_takes_the_clients_arguments(ministack, mbucket: str) -> None:
    kwargs = ministack.client_kwargs()
    region = kwargs.pop("region_name")
    s3 = s3seal.Session(region_name=region).resource("s3", **kwargs)
    assert s3.meta.client.meta.region_name == region
    assert s3.meta.client.meta.endpoint_url == kwargs["endpoint_url"]
    assert mbucket in [b.name for b in s3.buckets.all()]
    with pytest.raises(ValueError, match="only the 's3'"):
        s3seal.resource("ec2", **OFFLINE)


def test_subresource_script_matches_boto3(ministack) -> None:
    results = []
    for sdk in (boto3, s3seal):
        s3 = sdk.resource("s3", **ministack.client_kwargs())
        name = f"r-{uuid.uuid4().hex[:12]}"
        results.append(_rename(_subresource_script(s3, name), name))
    assert results[1] == results[0]
    assert "'Enabled'" in results[0] and "b'one'" in results[0]


# --- collections over 2,500 objects -----------------------------------------------------------

MANY = 2500
PREFIXED = 1050  # under "p/": more than one page of 1,000, so two DeleteObjects requests


@pytest.fixture(scope="module")
def big_bucket(ministack) -> str:  # type: ignore[no-untyped-def]
    name = f"r-many-{uuid.uuid4().hex[:10]}"
    client = s3seal.client("s3", **ministack.client_kwargs())
    client.create_bucket(Bucket=name)
    keys = [f"p/{i:05d}" for i in range(PREFIXED)] + [f"q/{i:05d}" for i in range(MANY - PREFIXED)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=name, Key=k, Body=k.encode()), keys))
    return name


def _listing(s3: Any, name: str) -> dict[str, Any]:
    objects = s3.Bucket(name).objects
    summary = lambda o: (o.key, o.size, o.e_tag)  # noqa: E731
    return {
        "all": [summary(o) for o in objects.all()],
        "pages": [len(p) for p in objects.pages()],
        "limit": [o.key for o in objects.limit(1234)],
        "page_size": [len(p) for p in objects.page_size(300).pages()],
        "limited_pages": [len(p) for p in objects.page_size(100).limit(250).pages()],
        "prefix": [o.key for o in objects.filter(Prefix="q/")],
        "chained": [o.key for o in objects.filter(Prefix="p/").filter(Marker="p/01000").limit(20)],
        "first_page_types": {type(o).__name__ for o in next(iter(objects.pages()))},
        "in_buckets": name in [b.name for b in s3.buckets.all()],
    }


def test_collections_match_boto3_on_2500_objects(ministack, big_bucket: str) -> None:
    theirs = _listing(boto3.resource("s3", **ministack.client_kwargs()), big_bucket)
    ours = _listing(s3seal.resource("s3", **ministack.client_kwargs()), big_bucket)
    assert ours == theirs
    assert len(ours["all"]) == MANY and ours["pages"] == [1000, 1000, 500]
    assert len(ours["limit"]) == 1234 and ours["limited_pages"] == [100, 100, 50]
    assert ours["page_size"] == [300] * 8 + [100] and len(ours["prefix"]) == MANY - PREFIXED
    assert ours["chained"][0] == "p/01001" and len(ours["chained"]) == 20


def test_batch_delete_by_page(ministack, big_bucket: str) -> None:
    """``objects.filter(...).delete()``: one DeleteObjects per page, as boto3 (run last on the
    module's bucket: s3seal deletes one prefix, boto3 the other, each checked the same way)."""
    for sdk, prefix, count in ((s3seal, "p/", PREFIXED), (boto3, "q/", MANY - PREFIXED)):
        s3 = sdk.resource("s3", **ministack.client_kwargs())
        responses = s3.Bucket(big_bucket).objects.filter(Prefix=prefix).delete()
        deleted = [len(r["Deleted"]) for r in responses]
        assert deleted == [1000, count - 1000], sdk.__name__
        assert sorted(d["Key"] for r in responses for d in r["Deleted"])[0] == f"{prefix}00000"
    assert list(s3seal.resource("s3", **ministack.client_kwargs()).Bucket(big_bucket).objects.all()) == []
    assert s3seal.resource("s3", **ministack.client_kwargs()).Bucket(big_bucket).objects.all().delete() == []
