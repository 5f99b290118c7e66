"""Paginators: s3seal's pages, items, tokens and searches equal real boto3's, over the same
ministack buckets (2,500 objects, a versioned bucket, multipart uploads and parts), and
tokens resume across the two libraries. The port's semantics are also checked against
botocore's own ``Paginator`` on a synthetic operation (no server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.exceptions
import botocore.paginate
import pytest
import s3seal
from s3seal import paginate

N_OBJECTS = 2500
KEYS = sorted(f"p{i % 5}/k{i:05d}" for i in range(N_OBJECTS))


def without_metadata(page: dict[str, Any]) -> dict[str, Any]:
    """A page minus ResponseMetadata (request ids, dates and headers differ per call)."""
    return {k: v for k, v in page.items() if k != "ResponseMetadata"}


@pytest.fixture(scope="session")
def clients(ministack) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    return boto3.client("s3", **ministack.client_kwargs()), s3seal.client("s3", **ministack.client_kwargs())


@pytest.fixture(scope="session")
def big_bucket(clients) -> str:  # type: ignore[no-untyped-def]
    """A bucket of 2,500 small objects, created once for the session."""
    real, _ = clients
    name = f"pages-{uuid.uuid4().hex[:12]}"
    real.create_bucket(Bucket=name)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: real.put_object(Bucket=name, Key=key, Body=key.encode()), KEYS))
    return name


def both(clients, op: str, **kwargs: Any) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    """The same paginate() call on boto3's and s3seal's paginator."""
    real, ours = clients
    return (
        real.get_paginator(op).paginate(**dict(kwargs)),
        ours.get_paginator(op).paginate(**dict(kwargs)),
    )


@pytest.mark.parametrize(
    ("op", "config", "pages"),
    [
        ("list_objects_v2", {}, 3),
        ("list_objects", {}, 3),
        ("list_objects_v2", {"PageSize": 400}, 7),
        ("list_objects", {"PageSize": 400}, 7),
    ],
)
def test_pages_equal_boto3s(clients, big_bucket, op, config, pages) -> None:  # type: ignore[no-untyped-def]
    real, ours = both(clients, op, Bucket=big_bucket, PaginationConfig=config)
    real_pages = [without_metadata(p) for p in real]
    our_pages = [without_metadata(p) for p in ours]
    assert len(our_pages) == pages
    assert our_pages == real_pages
    assert [o["Key"] for p in our_pages for o in p["Contents"]] == KEYS


def test_build_full_result_and_search_equal_boto3s(clients, big_bucket) -> None:  # type: ignore[no-untyped-def]
    real, ours = both(clients, "list_objects_v2", Bucket=big_bucket, PaginationConfig={"PageSize": 900})
    full = ours.build_full_result()
    assert full == real.build_full_result()
    assert [o["Key"] for o in full["Contents"]] == KEYS and "NextToken" not in full

    expression = "Contents[?starts_with(Key, 'p3/')].Key"
    real, ours = both(clients, "list_objects_v2", Bucket=big_bucket)
    found = list(ours.search(expression))
    assert found == list(real.search(expression))
    assert found == [k for k in KEYS if k.startswith("p3/")]
    # A non-list result is yielded as is, once per page.
    real, ours = both(clients, "list_objects_v2", Bucket=big_bucket)
    assert list(ours.search("KeyCount")) == list(real.search("KeyCount")) == [1000, 1000, 500]


def test_delimiter_and_result_key_iters(clients, big_bucket) -> None:  # type: ignore[no-untyped-def]
    config = {"PageSize": 2}
    real, ours = both(clients, "list_objects_v2", Bucket=big_bucket, Delimiter="/", PaginationConfig=config)
    assert [without_metadata(p) for p in ours] == [without_metadata(p) for p in real]
    # botocore's iterators keep the last token in their arguments: a second pass starts there.
    assert [without_metadata(p) for p in ours] == [without_metadata(p) for p in real]
    real, ours = both(clients, "list_objects_v2", Bucket=big_bucket, Delimiter="/", PaginationConfig=config)
    contents, prefixes = ours.result_key_iters()
    assert list(prefixes) == [{"Prefix": f"p{i}/"} for i in range(5)]
    assert list(contents) == []
    real_contents, real_prefixes = real.result_key_iters()
    assert (list(real_contents), list(real_prefixes)) == ([], [{"Prefix": f"p{i}/"} for i in range(5)])
    assert [str(k.expression) for k in ours.result_keys] == ["Contents", "CommonPrefixes"]


@pytest.mark.parametrize("op", ["list_objects_v2", "list_objects"])
@pytest.mark.parametrize("producer", ["boto3", "s3seal"])
def test_max_items_tokens_resume_across_libraries(clients, big_bucket, op, producer) -> None:  # type: ignore[no-untyped-def]
    real, ours = clients
    first, second = (real, ours) if producer == "boto3" else (ours, real)
    # 250 items in pages of 100: the last page is cut mid-page, the token says where.
    config = {"MaxItems": 250, "PageSize": 100}
    result = first.get_paginator(op).paginate(Bucket=big_bucket, PaginationConfig=config).build_full_result()
    assert [o["Key"] for o in result["Contents"]] == KEYS[:250]
    token = result["NextToken"]
    ours_again = ours.get_paginator(op).paginate(Bucket=big_bucket, PaginationConfig=config)
    assert ours_again.build_full_result()["NextToken"] == token == ours_again.resume_token
    assert paginate.TokenDecoder().decode(token)["boto_truncate_amount"] == 50

    # Resuming in the other library continues exactly there, and its token again.
    resumed = second.get_paginator(op).paginate(
        Bucket=big_bucket, PaginationConfig={"MaxItems": 1000, "PageSize": 300, "StartingToken": token}
    )
    pages = list(resumed)
    assert [o["Key"] for p in pages for o in p["Contents"]] == KEYS[250:1250]
    final = ours.get_paginator(op).paginate(
        Bucket=big_bucket, PaginationConfig={"StartingToken": resumed.resume_token}
    )
    assert [o["Key"] for p in final for o in p["Contents"]] == KEYS[1250:]


def test_max_items_on_a_page_boundary(clients, big_bucket) -> None:  # type: ignore[no-untyped-def]
    config = {"MaxItems": 200, "PageSize": 100}
    real, ours = both(clients, "list_objects_v2", Bucket=big_bucket, PaginationConfig=config)
    assert [without_metadata(p) for p in ours] == [without_metadata(p) for p in real]
    assert ours.resume_token == real.resume_token
    assert "boto_truncate_amount" not in paginate.TokenDecoder().decode(ours.resume_token)


@pytest.fixture(scope="session")
def versioned_bucket(clients) -> str:  # type: ignore[no-untyped-def]
    """12 keys with 3 versions each and a delete marker on every third: 36 versions, 4 markers."""
    real, _ = clients
    name = f"versions-{uuid.uuid4().hex[:12]}"
    real.create_bucket(Bucket=name)
    real.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for i in range(12):
        for v in range(3):
            real.put_object(Bucket=name, Key=f"v{i:02d}", Body=f"{i}-{v}".encode())
        if i % 3 == 0:
            real.delete_object(Bucket=name, Key=f"v{i:02d}")
    return name


def test_list_object_versions_pages_and_two_part_tokens(clients, versioned_bucket) -> None:  # type: ignore[no-untyped-def]
    real, ours = both(
        clients, "list_object_versions", Bucket=versioned_bucket, PaginationConfig={"PageSize": 5}
    )
    our_pages = [without_metadata(p) for p in ours]
    assert our_pages == [without_metadata(p) for p in real]
    assert len(our_pages) == 8  # 40 entries (versions and markers) by 5
    assert sum(len(p.get("Versions", [])) for p in our_pages) == 36
    assert sum(len(p.get("DeleteMarkers", [])) for p in our_pages) == 4

    # Cut mid-page: the token carries both markers, and resumes in boto3.
    config = {"MaxItems": 7, "PageSize": 5}
    ours_cut = (
        clients[1]
        .get_paginator("list_object_versions")
        .paginate(Bucket=versioned_bucket, PaginationConfig=config)
    )
    head = ours_cut.build_full_result()
    decoded = paginate.TokenDecoder().decode(head["NextToken"])
    assert sorted(decoded) == ["KeyMarker", "VersionIdMarker", "boto_truncate_amount"]
    rest = (
        clients[0]
        .get_paginator("list_object_versions")
        .paginate(Bucket=versioned_bucket, PaginationConfig={"StartingToken": head["NextToken"]})
        .build_full_result()
    )
    full = (
        clients[0].get_paginator("list_object_versions").paginate(Bucket=versioned_bucket).build_full_result()
    )
    ids = [v["VersionId"] for v in full["Versions"]]
    assert [v["VersionId"] for v in head["Versions"] + rest["Versions"]] == ids


ODD_KEYS = ["a b", "a+b", "caf\u00e9/1", "caf\u00e9/2", "per%cent", "tab\tkey", "z?&=#"]


@pytest.mark.parametrize("op", ["list_objects", "list_objects_v2", "list_object_versions"])
def test_keys_that_need_url_encoding_paginate_as_in_boto3(clients, op) -> None:  # type: ignore[no-untyped-def]
    """S3 lists these url-encoded; the markers that carry them from page to page must be the
    decoded keys, as boto3 makes them."""
    real, _ = clients
    bucket = f"odd-{uuid.uuid4().hex[:12]}"
    real.create_bucket(Bucket=bucket)
    for key in ODD_KEYS:
        real.put_object(Bucket=bucket, Key=key, Body=b"x")
    real_pages, our_pages = both(clients, op, Bucket=bucket, PaginationConfig={"PageSize": 2})
    ours = [without_metadata(p) for p in our_pages]
    assert ours == [without_metadata(p) for p in real_pages]
    entries = "Versions" if op == "list_object_versions" else "Contents"
    # (ministack repeats some 'null' versions across pages of an unversioned bucket: a set.)
    assert {o["Key"] for p in ours for o in p[entries]} == set(ODD_KEYS)


@pytest.fixture(scope="session")
def uploads(clients) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """A bucket with 11 multipart uploads in progress, one of them with 12 parts."""
    real, _ = clients
    name = f"uploads-{uuid.uuid4().hex[:12]}"
    real.create_bucket(Bucket=name)
    ids = [real.create_multipart_upload(Bucket=name, Key=f"u{i:02d}")["UploadId"] for i in range(11)]
    for part in range(1, 13):
        real.upload_part(Bucket=name, Key="u00", UploadId=ids[0], PartNumber=part, Body=b"p" * part)
    yield name, ids[0]
    for i, upload_id in enumerate(ids):
        real.abort_multipart_upload(Bucket=name, Key=f"u{i:02d}", UploadId=upload_id)


def test_list_multipart_uploads_and_parts(clients, uploads) -> None:  # type: ignore[no-untyped-def]
    bucket, upload_id = uploads
    real, ours = both(clients, "list_multipart_uploads", Bucket=bucket, PaginationConfig={"PageSize": 4})
    our_pages = [without_metadata(p) for p in ours]
    assert our_pages == [without_metadata(p) for p in real]
    assert [u["Key"] for p in our_pages for u in p.get("Uploads", [])] == [f"u{i:02d}" for i in range(11)]

    args = {"Bucket": bucket, "Key": "u00", "UploadId": upload_id}
    real, ours = both(clients, "list_parts", **args, PaginationConfig={"PageSize": 5})
    our_pages = [without_metadata(p) for p in ours]
    assert len(our_pages) == 3
    assert our_pages == [without_metadata(p) for p in real]
    cut = (
        clients[1]
        .get_paginator("list_parts")
        .paginate(**args, PaginationConfig={"MaxItems": 7, "PageSize": 5})
    )
    assert [p["PartNumber"] for p in cut.build_full_result()["Parts"]] == list(range(1, 8))
    rest = (
        clients[0]
        .get_paginator("list_parts")
        .paginate(**args, PaginationConfig={"StartingToken": cut.resume_token})
    )
    assert [p["PartNumber"] for p in rest.build_full_result()["Parts"]] == list(range(8, 13))


def test_list_buckets_paginator(clients, big_bucket, versioned_bucket) -> None:  # type: ignore[no-untyped-def]
    real, ours = both(clients, "list_buckets")
    names = [b["Name"] for b in ours.build_full_result()["Buckets"]]
    assert names == [b["Name"] for b in real.build_full_result()["Buckets"]]
    assert {big_bucket, versioned_bucket} <= set(names)


def test_can_paginate_and_get_paginator_errors(clients) -> None:  # type: ignore[no-untyped-def]
    real, ours = clients
    methods = list(ours.meta.method_to_api_mapping)
    assert [m for m in methods if ours.can_paginate(m)] == [m for m in methods if real.can_paginate(m)]
    assert len([m for m in methods if ours.can_paginate(m)]) == 7
    with pytest.raises(KeyError):
        ours.can_paginate("list_everything")
    with pytest.raises(botocore.exceptions.OperationNotPageableError, match="paginated: put_object"):
        ours.get_paginator("put_object")
    assert type(ours.get_paginator("list_objects_v2")).__name__ == "S3.Paginator.ListObjectsV2"
    # PageSize is converted to the limit parameter's type (an integer for S3), as botocore does.
    with pytest.raises(ValueError):
        ours.get_paginator("list_objects_v2").paginate(Bucket="b", PaginationConfig={"PageSize": "ten"})


# The port against botocore itself, on a synthetic operation: 37 items, a two-part token.


ITEMS = [f"item{i:02d}" for i in range(37)]
SYNTHETIC = {
    "input_token": ["Marker", "SubMarker"],
    "output_token": ["NextMarker", "NextSubMarker"],
    "more_results": "IsTruncated",
    "limit_key": "Limit",
    "result_key": ["Items", "Count"],
}


def fake_operation_model() -> Any:
    """The one thing a Paginator reads from its operation model: the limit parameter's type."""
    return SimpleNamespace(
        input_shape=SimpleNamespace(members={"Limit": SimpleNamespace(type_name="integer")})
    )


def synthetic_operation(**kwargs: Any) -> dict[str, Any]:
    start = int(kwargs.get("Marker", 0))
    limit = kwargs.get("Limit", 10)
    page = ITEMS[start : start + limit]
    end = start + len(page)
    truncated = end < len(ITEMS)
    return {
        "Items": page,
        "Count": len(page),
        "IsTruncated": truncated,
        "NextMarker": str(end) if truncated else "",
        "NextSubMarker": f"sub{end}" if truncated else None,
    }


def run(paginator_cls: Any, config: dict[str, Any]) -> tuple[list[Any], Any, Any]:
    iterator = paginator_cls(synthetic_operation, SYNTHETIC, fake_operation_model()).paginate(
        PaginationConfig=dict(config)
    )
    pages = list(iterator)
    return pages, iterator.resume_token, iterator.build_full_result()


@pytest.mark.parametrize("max_items", [None, 1, 9, 10, 11, 25, 36, 37, 50])
@pytest.mark.parametrize("page_size", [None, 3, 10])
def test_port_matches_botocore_paginator(max_items, page_size) -> None:  # type: ignore[no-untyped-def]
    config = {k: v for k, v in (("MaxItems", max_items), ("PageSize", page_size)) if v is not None}
    ours = run(paginate.Paginator, config)
    assert ours == run(botocore.paginate.Paginator, config)
    # Follow the chain of resume tokens to the end: the same items, once each.
    seen = [i for p in ours[0] for i in p["Items"]]
    token = ours[1]
    while token is not None:
        ours = run(paginate.Paginator, {**config, "StartingToken": token})
        assert ours == run(botocore.paginate.Paginator, {**config, "StartingToken": token})
        seen += [i for p in ours[0] for i in p["Items"]]
        token = ours[1]
    assert seen == ITEMS


def test_token_encoding_matches_botocore() -> None:
    token = {"Marker": "a", "SubMarker": b"\x00\xff", "nested": [{"b": b"bytes"}], "boto_truncate_amount": 3}
    encoded = paginate.TokenEncoder().encode(token)
    assert encoded == botocore.paginate.TokenEncoder().encode(token)
    assert (
        paginate.TokenDecoder().decode(encoded) == botocore.paginate.TokenDecoder().decode(encoded) == token
    )
    # Pre-base64 tokens ('marker___submarker___index') are still understood.
    old = run(paginate.Paginator, {"StartingToken": "12___sub12___2", "MaxItems": 4})
    assert old == run(botocore.paginate.Paginator, {"StartingToken": "12___sub12___2", "MaxItems": 4})
    assert old[0][0]["Items"] == ITEMS[14:18]


def test_repeated_token_is_a_pagination_error() -> None:
    def stuck(**kwargs: Any) -> dict[str, Any]:
        return {"Items": [1], "Count": 1, "IsTruncated": True, "NextMarker": "same", "NextSubMarker": "x"}

    pages = paginate.Paginator(stuck, SYNTHETIC, fake_operation_model()).paginate()
    with pytest.raises(botocore.exceptions.PaginationError, match="same next token was received twice"):
        list(pages)
