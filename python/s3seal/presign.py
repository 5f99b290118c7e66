"""botocore's ``generate_presigned_url`` and ``generate_presigned_post``, signed by the
native core (which holds the credentials).

Deliberate divergence from botocore: every header a URL's request needs stays a signed
header, so an SSE-C key is never written into a URL (or a log of URLs); whoever uses the URL
sends the ``x-amz-server-side-encryption-customer-*`` headers with it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from s3seal.exceptions import UnknownClientMethodError

DEFAULT_EXPIRES = 3600


def generate_presigned_url(
    client: Any,
    ClientMethod: str,
    Params: dict[str, Any] | None = None,
    ExpiresIn: int = DEFAULT_EXPIRES,
    HttpMethod: str | None = None,
) -> str:
    from s3seal._ops import OPERATION_NAMES

    operation = OPERATION_NAMES.get(ClientMethod)
    if operation is None:
        raise UnknownClientMethodError(method_name=ClientMethod)
    return str(client._presign(operation, dict(Params or {}), int(ExpiresIn), HttpMethod))


def generate_presigned_post(
    client: Any,
    Bucket: str,
    Key: str,
    Fields: dict[str, Any] | None = None,
    Conditions: list[Any] | None = None,
    ExpiresIn: int = DEFAULT_EXPIRES,
) -> dict[str, Any]:
    fields = dict(Fields or {})
    conditions = list(Conditions or [])
    conditions.append({"bucket": Bucket})
    if Key.endswith("${filename}"):
        conditions.append(["starts-with", "$key", Key[: -len("${filename}")]])
    else:
        conditions.append({"key": Key})
    fields["key"] = Key
    url = client._presign("HeadBucket", {"Bucket": Bucket}, 1, None).split("?", 1)[0]
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    expiration = now + dt.timedelta(seconds=ExpiresIn)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    # The credential scope is known before signing: sign an empty policy to learn it, then
    # the real one (both at the same instant, so the scope is the same).
    signed = client._sign_post_policy("", int(now.timestamp()))
    if signed is None:  # an anonymous client: botocore's POST is the URL and the fields
        return {"url": url, "fields": fields}
    credential, token, _ = signed
    auth = {"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": credential, "x-amz-date": stamp}
    if token is not None:
        auth["x-amz-security-token"] = token
    fields.update(auth)
    conditions.extend({k: v} for k, v in auth.items())
    policy = {"expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": conditions}
    fields["policy"] = base64.b64encode(json.dumps(policy).encode("utf-8")).decode("utf-8")
    _, _, fields["x-amz-signature"] = client._sign_post_policy(fields["policy"], int(now.timestamp()))
    return {"url": url, "fields": fields}
