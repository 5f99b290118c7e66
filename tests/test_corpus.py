"""The corpus of public boto3 code (tests/corpus/, see SOURCES.md), run against ministack
with boto3 and again with the import changed to s3seal: the same outcome for every item boto3
runs. The pass rate is printed in the summary (tools/corpus_report.py writes RESULTS.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))

import _runner
from _known import KNOWN

# The s3-tests code carries its suite's own marks (pytest.mark.encryption, ...).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")

ITEMS = _runner.items()
# Other projects' code is never committed (tests/corpus/SOURCES.md): on a checkout without the
# corpus files there is nothing to run, and the tests say so.
pytestmark = [
    pytestmark,
    pytest.mark.skipif(
        not ITEMS, reason="the corpus files are not in this checkout (tests/corpus/SOURCES.md)"
    ),
]
_RESULTS: dict[str, _runner.Result] = {}


class _Summary:
    """Prints the pass rate at the end of the run (registered by the first corpus test)."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not _RESULTS:
            return
        results = list(_RESULTS.values())
        terminalreporter.section("s3seal corpus")
        terminalreporter.write_line(_runner.summary_line(results))
        for r in results:
            if r.status in ("fail", "boto3-fails"):
                known = " (known: tests/corpus/_known.py)" if r.item.id in KNOWN else ""
                terminalreporter.write_line(f"  {r.status}: {r.item.id}{known}")


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> None:
    manager = request.config.pluginmanager
    if not manager.has_plugin("s3seal-corpus-summary"):
        manager.register(_Summary(), "s3seal-corpus-summary")


def test_corpus_size() -> None:
    """The corpus is broad enough to say something: at least 40 items boto3 runs."""
    assert len([i for i in ITEMS if not i.excluded]) >= 40
    assert set(KNOWN) <= {i.id for i in ITEMS}, "a known failure names no corpus item"


@pytest.mark.parametrize("item", ITEMS, ids=[i.id for i in ITEMS])
def test_corpus_item(item: _runner.Item, ministack: Any) -> None:
    result = _runner.run(item, ministack.client_kwargs())
    _RESULTS[item.id] = result
    if item.excluded:
        pytest.skip(f"boto3 cannot run it on ministack: {item.excluded}")
    boto3 = result.outcomes["boto3"]
    assert boto3.ok, f"boto3 itself fails ({boto3.error}): exclude the item with a reason\n{boto3.trace}"
    if item.id in KNOWN:
        # A known, explained divergence: the test fails once it is fixed, to update KNOWN.
        assert result.status == "fail", f"{item.id} now passes: remove it from tests/corpus/_known.py"
        pytest.xfail(KNOWN[item.id])
    assert result.status == "pass", result.diff()


def test_virtual_addressing_on_an_ip_endpoint_is_path_style(ministack: Any, mbucket: str) -> None:
    """Found by the corpus (the boto3 guide's presigned URLs ask for virtual addressing): the S3
    endpoint rules put the bucket in the path when the endpoint is an IP address, whatever the
    addressing style; meta.config keeps reporting what was asked for."""
    import boto3
    import botocore.config
    import s3seal

    config = botocore.config.Config(s3={"addressing_style": "virtual"})
    urls = []
    for sdk in (boto3, s3seal):
        client = sdk.client("s3", config=config, **ministack.client_kwargs())
        assert client.list_objects_v2(Bucket=mbucket)["KeyCount"] == 0
        assert client.meta.config.s3 == {"addressing_style": "virtual"}
        urls.append(client.generate_presigned_url("get_object", Params={"Bucket": mbucket, "Key": "k"}))
    assert urls[1].split("?")[0] == urls[0].split("?")[0] == f"{ministack.url}/{mbucket}/k"
