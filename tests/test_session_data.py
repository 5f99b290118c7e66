"""The Session's data-driven methods and ``client.meta.partition``, equal to boto3's (both read
botocore's endpoints data: s3seal from its generated copy, s3seal._data.PARTITIONS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import s3seal
from s3seal.exceptions import UnknownRegionError

REGIONS = [
    "us-east-1",
    "eu-west-1",
    "cn-north-1",
    "us-gov-west-1",
    "us-isob-east-1",
    "eusc-de-east-1",
    "mars-1",
]


def test_partitions_and_regions_equal_boto3s() -> None:
    ours, theirs = s3seal.Session(), boto3.Session()
    assert ours.get_available_partitions() == theirs.get_available_partitions()
    for partition in [*theirs.get_available_partitions(), "no-such-partition"]:
        for non_regional in (False, True):
            assert ours.get_available_regions("s3", partition, non_regional) == theirs.get_available_regions(
                "s3", partition, non_regional
            )
    for region in REGIONS[:-1]:
        assert ours.get_partition_for_region(region) == theirs.get_partition_for_region(region)
    with pytest.raises(UnknownRegionError) as refused:
        ours.get_partition_for_region("mars-1")
    with pytest.raises(Exception) as expected:
        theirs.get_partition_for_region("mars-1")
    assert str(refused.value) == str(expected.value)
    assert isinstance(refused.value, type(expected.value))
    with pytest.raises(ValueError, match="only the 's3' client"):
        ours.get_available_regions("ec2")
    assert ours.get_available_services() == ours.get_available_resources() == ["s3"]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("endpoint_url", [None, "http://127.0.0.1:9"])
def test_client_meta_partition(region: str, endpoint_url: Any) -> None:
    kwargs = {"region_name": region, "aws_access_key_id": "a", "aws_secret_access_key": "b"}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    assert s3seal.client("s3", **kwargs).meta.partition == boto3.client("s3", **kwargs).meta.partition


def test_available_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").write_text("[default]\nregion = eu-west-1\n[profile dev]\nregion = us-east-2\n")
    (tmp_path / "credentials").write_text("[ci]\naws_access_key_id = x\naws_secret_access_key = y\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    assert (
        s3seal.Session().available_profiles == boto3.Session().available_profiles == ["default", "dev", "ci"]
    )


@pytest.mark.parametrize("sdk", [boto3, s3seal], ids=["boto3", "s3seal"])
def test_default_session(sdk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``DEFAULT_SESSION``: None until needed, what setup_default_session made, and reset by
    assigning None (as test suites do); a library reading it gets the session clients use."""
    monkeypatch.setattr(sdk, "DEFAULT_SESSION", None)
    assert sdk.DEFAULT_SESSION is None
    sdk.setup_default_session(region_name="eu-west-3")
    assert sdk.DEFAULT_SESSION.region_name == "eu-west-3"
    client = sdk.client("s3", aws_access_key_id="a", aws_secret_access_key="b")
    assert client.meta.region_name == "eu-west-3"
    sdk.DEFAULT_SESSION = None
    assert sdk.client("s3", aws_access_key_id="a", aws_secret_access_key="b").meta.region_name == "us-east-1"
    assert isinstance(sdk.DEFAULT_SESSION, sdk.Session)


RETRY_CASES = [
    ({}, {}, {}),
    ({"retry_mode": "standard", "max_attempts": "7"}, {}, {}),
    ({"retry_mode": "adaptive"}, {}, {}),
    ({"max_attempts": "2"}, {}, {}),
    ({"retry_mode": "standard", "max_attempts": "7"}, {"AWS_RETRY_MODE": "legacy"}, {}),
    ({"retry_mode": "standard", "max_attempts": "7"}, {"AWS_MAX_ATTEMPTS": "4"}, {}),
    ({"retry_mode": "standard", "max_attempts": "7"}, {}, {"mode": "legacy"}),
    ({"retry_mode": "standard", "max_attempts": "7"}, {}, {"max_attempts": 2}),
    ({}, {}, {"mode": "standard", "max_attempts": 2}),
    ({}, {}, {"total_max_attempts": 5}),
]


@pytest.mark.parametrize(("profile", "env", "retries"), RETRY_CASES)
def test_retry_settings_from_config_environment_and_profile(
    profile: dict[str, str],
    env: dict[str, str],
    retries: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """botocore's precedence (Config, then AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, then the
    profile's retry_mode / max_attempts): the same meta.config.retries as boto3, and the
    native client is given the attempt count and mode botocore retries with."""
    import botocore.config

    (tmp_path / "config").write_text("[default]\n" + "".join(f"{k} = {v}\n" for k, v in profile.items()))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kwargs = {"region_name": "us-east-1", "aws_access_key_id": "a", "aws_secret_access_key": "b"}
    config = botocore.config.Config(retries=dict(retries)) if retries else None
    ours = s3seal.Session().client("s3", config=config, **kwargs)
    theirs = boto3.Session().client(
        "s3", config=botocore.config.Config(retries=dict(retries)) if retries else None, **kwargs
    )
    assert ours.meta.config.retries == theirs.meta.config.retries
    expected = theirs.meta.config.retries
    defaults = {"legacy": 5, "standard": 3, "adaptive": 3}
    assert ours._options["retry_mode"] == expected["mode"]
    assert ours._options["max_attempts"] == expected.get("total_max_attempts", defaults[expected["mode"]])
