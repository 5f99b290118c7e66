"""The resource model: boto3's ``boto3/resources/model.py``, ported, over ``_resource_data``.

Plain descriptions of the JSON, with boto3's naming rules (snake_case names, and the renames
that resolve clashes such as an attribute and an action both called ``restore``), so that every
resource class here has exactly the attribute names boto3's has.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

logger = logging.getLogger(__name__)

_FIRST_CAP = re.compile("(.)([A-Z][a-z]+)")
_END_CAP = re.compile("([a-z0-9])([A-Z])")
# A pluralised acronym at the end (``ACLs``, ``CNAMEs``) becomes one word: ``_acls``.
_SPECIAL_PLURAL = re.compile("[A-Z]{2,}s$")


@cache
def xform_name(name: str, sep: str = "_") -> str:
    """botocore's ``xform_name``: ``CopyFrom`` -> ``copy_from``; names with ``sep`` unchanged."""
    if sep in name:
        return name
    special = _SPECIAL_PLURAL.search(name)
    if special is not None:
        matched = special.group()
        name = f"{name[: -len(matched)]}{sep}{matched.lower()}"
    first = _FIRST_CAP.sub(rf"\1{sep}\2", name)
    return _END_CAP.sub(rf"\1{sep}\2", first).lower()


class Identifier:
    """A resource identifier (``bucket_name``), with the attribute it also appears as, if any."""

    def __init__(self, name: str, member_name: str | None = None) -> None:
        self.name = name
        self.member_name = member_name


class Parameter:
    """Where a request parameter or an identifier comes from: ``source`` is ``identifier``,
    ``data``, ``response``, ``requestParameter``, ``input`` or a constant's type."""

    def __init__(
        self,
        target: str,
        source: str,
        name: str | None = None,
        path: str | None = None,
        value: Any = None,
        **unknown: Any,
    ) -> None:
        self.target = target
        self.source = source
        self.name = name
        self.path = path
        self.value = value
        if unknown:
            logger.warning("Unknown parameter options found: %s", sorted(unknown))


class DefinitionWithParams:
    def __init__(self, definition: dict[str, Any]) -> None:
        self._definition = definition

    @property
    def params(self) -> list[Parameter]:
        return [Parameter(**item) for item in self._definition.get("params", [])]


class Request(DefinitionWithParams):
    """The client operation an action calls, and its pre-filled parameters."""

    def __init__(self, definition: dict[str, Any]) -> None:
        super().__init__(definition)
        self.operation: str = definition["operation"]


class Waiter(DefinitionWithParams):
    """A resource waiter (``wait_until_exists``) over a client waiter (``ObjectExists``)."""

    PREFIX = "WaitUntil"

    def __init__(self, name: str, definition: dict[str, Any]) -> None:
        super().__init__(definition)
        self.name = name
        self.waiter_name: str = definition["waiterName"]


class ResponseResource:
    """The resource(s) an action, reference, sub-resource or collection produces."""

    def __init__(self, definition: dict[str, Any], resource_defs: dict[str, Any]) -> None:
        self._definition = definition
        self._resource_defs = resource_defs
        self.type: str = definition["type"]
        self.path: str | None = definition.get("path")

    @property
    def identifiers(self) -> list[Parameter]:
        return [Parameter(**item) for item in self._definition.get("identifiers", [])]

    @property
    def model(self) -> ResourceModel:
        return ResourceModel(self.type, self._resource_defs[self.type], self._resource_defs)


class Action:
    """An action (``put``), a load, a reference or a sub-resource: a request and/or a resource."""

    def __init__(self, name: str, definition: dict[str, Any], resource_defs: dict[str, Any]) -> None:
        self._definition = definition
        self.name = name
        self.request = Request(definition["request"]) if "request" in definition else None
        self.resource = (
            ResponseResource(definition["resource"], resource_defs) if "resource" in definition else None
        )
        self.path: str | None = definition.get("path")


class Collection(Action):
    """A ``hasMany`` collection (``bucket.objects``): a list request and its resources."""

    @property
    def batch_actions(self) -> list[Action]:
        assert self.resource is not None
        return self.resource.model.batch_actions


def _needs_data(definition: dict[str, Any]) -> bool:
    """A ``has`` entry whose identifiers come from the parent's data is a reference (an
    attribute: ``object_summary.bucket``...); otherwise it is a sub-resource (a method)."""
    return any(i["source"] == "data" for i in definition["resource"]["identifiers"])


class ResourceModel:
    """One resource's definition, with boto3's snake_case names and clash renames."""

    def __init__(self, name: str, definition: dict[str, Any], resource_defs: dict[str, Any]) -> None:
        self._definition = definition
        self._resource_defs = resource_defs
        self._renamed: dict[tuple[str, str], str] = {}
        self.name = name
        self.shape: str | None = definition.get("shape")

    def load_rename_map(self, shape: Any = None) -> None:
        """Name every member, in boto3's order, renaming the later of two clashing names to
        ``<name>_<category>`` (an Object's ``restore`` attribute is ``restore_attribute``...)."""
        names = {"meta"}
        self._renamed = {}
        if self._definition.get("load"):
            names.add("load")
        for item in self._definition.get("identifiers", []):
            self._name_with_category(names, item["name"], "identifier")
        for name in self._definition.get("actions", {}):
            self._name_with_category(names, name, "action")
        for name, ref in self._has_definition().items():
            if _needs_data(ref):
                self._name_with_category(names, name, "reference")
            else:
                self._name_with_category(names, name, "subresource", snake_case=False)
        for name in self._definition.get("hasMany", {}):
            self._name_with_category(names, name, "collection")
        for name in self._definition.get("waiters", {}):
            self._name_with_category(names, Waiter.PREFIX + name, "waiter")
        if shape is not None:
            for name in shape.members:
                self._name_with_category(names, name, "attribute")

    def _name_with_category(self, names: set[str], name: str, category: str, snake_case: bool = True) -> None:
        if snake_case:
            name = xform_name(name)
        if name in names:
            self._renamed[(category, name)] = f"{name}_{category}"
            name += f"_{category}"
            if name in names:
                raise ValueError(f"Problem renaming {self.name} {category} to {name}!")
        names.add(name)

    def _get_name(self, category: str, name: str, snake_case: bool = True) -> str:
        if snake_case:
            name = xform_name(name)
        return self._renamed.get((category, name), name)

    def get_attributes(self, shape: Any) -> dict[str, tuple[str, Any]]:
        """The attributes from the shape: snake_case name -> (member name, member shape),
        without the members that are identifiers."""
        identifier_names = [i.name for i in self.identifiers]
        attributes = {}
        for name, member in shape.members.items():
            snake_cased = xform_name(name)
            if snake_cased in identifier_names:
                continue
            attributes[self._get_name("attribute", snake_cased, snake_case=False)] = (name, member)
        return attributes

    @property
    def identifiers(self) -> list[Identifier]:
        identifiers = []
        for item in self._definition.get("identifiers", []):
            member_name = item.get("memberName")
            if member_name:
                member_name = self._get_name("attribute", member_name)
            identifiers.append(Identifier(self._get_name("identifier", item["name"]), member_name))
        return identifiers

    @property
    def load(self) -> Action | None:
        definition = self._definition.get("load")
        return Action("load", definition, self._resource_defs) if definition is not None else None

    @property
    def actions(self) -> list[Action]:
        return [
            Action(self._get_name("action", name), item, self._resource_defs)
            for name, item in self._definition.get("actions", {}).items()
        ]

    @property
    def batch_actions(self) -> list[Action]:
        return [
            Action(self._get_name("batch_action", name), item, self._resource_defs)
            for name, item in self._definition.get("batchActions", {}).items()
        ]

    def _has_definition(self) -> dict[str, Any]:
        """The ``has`` relations. The service resource (not itself in ``resources``) also has
        one for every resource it does not name, taking its identifiers as arguments:
        ``s3.Object(bucket_name, key)``."""
        if self.name in self._resource_defs:
            has: dict[str, Any] = self._definition.get("has", {})
            return has
        definition: dict[str, Any] = {}
        for name, resource_def in self._resource_defs.items():
            named = {
                has_name: has_def
                for has_name, has_def in self._definition.get("has", {}).items()
                if has_def.get("resource", {}).get("type") == name
            }
            definition.update(named)
            if not named:
                identifiers = [
                    {"target": i["name"], "source": "input"} for i in resource_def.get("identifiers", [])
                ]
                definition[name] = {"resource": {"type": name, "identifiers": identifiers}}
        return definition

    def _related(self, subresources: bool) -> list[Action]:
        related = []
        for name, definition in self._has_definition().items():
            if _needs_data(definition) == subresources:
                continue
            if subresources:
                name = self._get_name("subresource", name, snake_case=False)
            else:
                name = self._get_name("reference", name)
            related.append(Action(name, definition, self._resource_defs))
        return related

    @property
    def subresources(self) -> list[Action]:
        return self._related(subresources=True)

    @property
    def references(self) -> list[Action]:
        return self._related(subresources=False)

    @property
    def collections(self) -> list[Collection]:
        return [
            Collection(self._get_name("collection", name), item, self._resource_defs)
            for name, item in self._definition.get("hasMany", {}).items()
        ]

    @property
    def waiters(self) -> list[Waiter]:
        return [
            Waiter(self._get_name("waiter", Waiter.PREFIX + name), item)
            for name, item in self._definition.get("waiters", {}).items()
        ]
