"""Waiters: botocore's ``botocore/waiter.py``, ported, over ``waiters-2.json``.

A waiter calls its operation until an acceptor matches: ``status`` (the HTTP status),
``error`` (the error code, or any error / no error), ``path`` / ``pathAll`` / ``pathAny``
(a JMESPath expression over the response). Errors do not propagate: the error response is
matched like any other, and an error no acceptor expects ends the wait with ``WaiterError``,
with botocore's messages and ``last_response``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jmespath

from s3seal.exceptions import ClientError, WaiterError

Matcher = Callable[[dict[str, Any]], Any]


def is_valid_waiter_error(response: dict[str, Any]) -> bool:
    error = response.get("Error")
    return isinstance(error, dict) and "Code" in error


class NormalizedOperationMethod:
    """The operation, with a ClientError turned into its error response (what acceptors see)."""

    def __init__(self, client_method: Callable[..., dict[str, Any]]) -> None:
        self._client_method = client_method

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._client_method(**kwargs)
        except ClientError as e:
            return e.response  # type: ignore[no-any-return,attr-defined]


class AcceptorConfig:
    """One acceptor: its state, matcher, expected value and argument, and the test itself."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.state: str = config["state"]
        self.matcher: str = config["matcher"]
        self.expected: Any = config["expected"]
        self.argument: str | None = config.get("argument")
        self.matcher_func: Matcher = self._create_matcher_func()

    @property
    def explanation(self) -> str:
        explanations = {
            "path": f'For expression "{self.argument}" we matched expected path: "{self.expected}"',
            "pathAll": (
                f'For expression "{self.argument}" all members matched expected path: "{self.expected}"'
            ),
            "pathAny": (
                f'For expression "{self.argument}" we matched expected path: "{self.expected}" at least once'
            ),
            "status": f"Matched expected HTTP status code: {self.expected}",
            "error": f"Matched expected service error code: {self.expected}",
        }
        return explanations.get(self.matcher, f'No explanation for unknown waiter type: "{self.matcher}"')

    def _create_matcher_func(self) -> Matcher:
        factories = {
            "path": self._path_matcher,
            "pathAll": self._path_all_matcher,
            "pathAny": self._path_any_matcher,
            "status": self._status_matcher,
            "error": self._error_matcher,
        }
        if self.matcher not in factories:
            raise ValueError(f"Unknown acceptor: {self.matcher}")
        return factories[self.matcher]()

    def _path_matcher(self) -> Matcher:
        expression = jmespath.compile(self.argument)

        def matches(response: dict[str, Any]) -> bool | None:
            if is_valid_waiter_error(response):
                return None
            return bool(expression.search(response) == self.expected)

        return matches

    def _path_list_matcher(self, combine: Callable[[Any], bool]) -> Matcher:
        """pathAll / pathAny: the expression must give a non-empty list."""
        expression = jmespath.compile(self.argument)

        def matches(response: dict[str, Any]) -> bool | None:
            if is_valid_waiter_error(response):
                return None
            result = expression.search(response)
            if not isinstance(result, list) or not result:
                return False
            return combine(element == self.expected for element in result)

        return matches

    def _path_all_matcher(self) -> Matcher:
        return self._path_list_matcher(all)

    def _path_any_matcher(self) -> Matcher:
        return self._path_list_matcher(any)

    def _status_matcher(self) -> Matcher:
        def matches(response: dict[str, Any]) -> bool:
            return bool(response.get("ResponseMetadata", {}).get("HTTPStatusCode") == self.expected)

        return matches

    def _error_matcher(self) -> Matcher:
        def matches(response: dict[str, Any]) -> bool:
            # True: any error; False: no error; otherwise that error code.
            if self.expected is True:
                return "Error" in response and "Code" in response["Error"]
            if self.expected is False:
                return "Error" not in response
            return bool(response.get("Error", {}).get("Code", "") == self.expected)

        return matches


class SingleWaiterConfig:
    """One waiter of the model: operation, delay, max attempts and acceptors."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self.description: str = config.get("description", "")
        self.operation: str = config["operation"]
        self.delay: float = config["delay"]
        self.max_attempts: int = config["maxAttempts"]

    @property
    def acceptors(self) -> list[AcceptorConfig]:
        return [AcceptorConfig(a) for a in self._config["acceptors"]]


class WaiterModel:
    """The waiters of a ``waiters-2.json`` document."""

    SUPPORTED_VERSION = 2

    def __init__(self, waiter_config: dict[str, Any]) -> None:
        version = waiter_config.get("version", "unknown")
        if version != self.SUPPORTED_VERSION:
            raise ValueError(
                f"Unsupported waiter version, supported version must be: {self.SUPPORTED_VERSION}, "
                f"but version of waiter config is: {version}"
            )
        self._waiter_config: dict[str, Any] = waiter_config["waiters"]
        self.version = version
        self.waiter_names = sorted(self._waiter_config)

    def get_waiter(self, waiter_name: str) -> SingleWaiterConfig:
        try:
            return SingleWaiterConfig(self._waiter_config[waiter_name])
        except KeyError:
            raise ValueError(f"Waiter does not exist: {waiter_name}") from None


class Waiter:
    """``client.get_waiter(name)``: ``wait(**kwargs)`` with an optional ``WaiterConfig``
    (``Delay`` seconds between attempts, ``MaxAttempts``)."""

    def __init__(self, name: str, config: SingleWaiterConfig, operation_method: Callable[..., Any]) -> None:
        self._operation_method = operation_method
        self.name = name
        self.config = config

    def wait(self, **kwargs: Any) -> None:
        attempts = WaitAttempts(self, kwargs)
        while True:
            if attempts.done(self._operation_method(**attempts.kwargs)):
                return
            time.sleep(attempts.sleep_amount)


class WaitAttempts:
    """The state of one ``wait()``, without I/O: :meth:`done` judges each response (True on
    success, ``WaiterError`` on failure or when attempts run out). The sync waiter and the
    async client's waiter share it, each calling and sleeping its own way."""

    def __init__(self, waiter: Waiter, kwargs: dict[str, Any]) -> None:
        self.name = waiter.name
        self.acceptors = list(waiter.config.acceptors)
        config = kwargs.pop("WaiterConfig", {})
        self.kwargs = kwargs
        self.sleep_amount: float = config.get("Delay", waiter.config.delay)
        self.max_attempts: int = config.get("MaxAttempts", waiter.config.max_attempts)
        self.current_state = "waiting"
        self.last_matched_acceptor: AcceptorConfig | None = None
        self.num_attempts = 0

    def done(self, response: dict[str, Any]) -> bool:
        self.num_attempts += 1
        for acceptor in self.acceptors:
            if acceptor.matcher_func(response):
                self.last_matched_acceptor = acceptor
                self.current_state = acceptor.state
                break
        else:
            # An error that no acceptor expects ends the wait.
            if is_valid_waiter_error(response):
                error = response["Error"]
                reason = (
                    f"An error occurred ({error.get('Code', 'Unknown')}): {error.get('Message', 'Unknown')}"
                )
                raise WaiterError(name=self.name, reason=reason, last_response=response)
        if self.current_state == "success":
            return True
        # botocore explains with the loop's last acceptor (not the matched one): same text here.
        if self.current_state == "failure":
            reason = f"Waiter encountered a terminal failure state: {acceptor.explanation}"
            raise WaiterError(name=self.name, reason=reason, last_response=response)
        if self.num_attempts >= self.max_attempts:
            reason = "Max attempts exceeded"
            if self.last_matched_acceptor is not None:
                reason += f". Previously accepted state: {acceptor.explanation}"
            raise WaiterError(name=self.name, reason=reason, last_response=response)
        return False


def create_waiter(
    waiter_name: str,
    model: WaiterModel,
    client: Any,
    base: type[Waiter] = Waiter,
    normalize: Callable[[Callable[..., Any]], Callable[..., Any]] = NormalizedOperationMethod,
) -> Waiter:
    """A waiter of the model bound to the client's operation method, in a class named as
    botocore names it (``S3.Waiter.BucketExists``); ``base`` and ``normalize`` are the async
    client's waiter class and error normalisation."""
    from s3seal._ops import OPERATION_NAMES

    single = model.get_waiter(waiter_name)
    method_name = {op: method for method, op in OPERATION_NAMES.items()}[single.operation]
    method = normalize(getattr(client, method_name))
    cls = type(f"S3.Waiter.{waiter_name}", (base,), {"__module__": base.__module__})
    return cls(waiter_name, single, method)
