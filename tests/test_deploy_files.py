"""The deployment files (Dockerfile, docker-compose.yml, schema/kg.grass) agree with the code.

Nothing here runs Docker: the files are read as text or YAML and checked against kg.config and
schema/ontology.json, so a renamed setting, a bumped Neo4j or a new entity type shows up here.

The style sheet is parsed the way Neo4j Browser parses GraSS (GraphStyleModel.parse): a selector,
then `{ key: value; ... }`, single quotes only protect braces; there is no comment syntax. Browser
styles a node by applying, in file order, every rule whose labels the node all has, later rules
winning; entity nodes are `:Entity:<Type>`, so `node.Entity` must come before the type rules.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pydantic import AliasChoices

from kg.config import NEO4J_VERSION, Settings
from kg.neo4j_server import SHARED_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
GRASS = ROOT / "schema" / "kg.grass"
ONTOLOGY = ROOT / "schema" / "ontology.json"
PYPROJECT = ROOT / "pyproject.toml"

KG_SERVICES = ("api", "loader")
CONNECTION_ENV = {"NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"}
INTERPOLATION = re.compile(r"^\$\{(?P<name>\w+):?-(?P<default>[^}]*)\}$")
# The properties Neo4j Browser's renderer reads from a GraSS rule.
GRASS_PROPERTIES = {
    "diameter",
    "color",
    "border-color",
    "border-width",
    "text-color-internal",
    "text-color-external",
    "font-size",
    "caption",
    "shaft-width",
    "padding",
}


@cache
def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _compose()["services"][name]
    return service


def _environment(name: str) -> dict[str, str]:
    """A service's environment, whether compose spells it as a mapping or as KEY=VALUE lines."""
    env = _service(name).get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _default_of(value: str) -> str:
    """What compose substitutes for `${NAME:-default}` when NAME is unset; plain values as is."""
    match = INTERPOLATION.match(value)
    return match["default"] if match else value


def _settings_env_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names


def _settings_field(name: str) -> tuple[str, Any]:
    """The env name and default of one Settings field."""
    field = Settings.model_fields[name]
    assert isinstance(field.validation_alias, str)
    return field.validation_alias, field.default


def _dockerfile_stages() -> list[list[str]]:
    """The instructions of each build stage, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def _ontology() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ONTOLOGY.read_text(encoding="utf-8"))
    return data


@cache
def _grass_rules() -> list[tuple[str, dict[str, str]]]:
    """The style sheet's rules in file order, parsed like Neo4j Browser's GraphStyleModel.parse."""
    rules: dict[str, str] = {}
    keyword, props = "", ""
    inside_string = inside_props = False
    for char in GRASS.read_text(encoding="utf-8"):
        if char == "'":
            inside_string = not inside_string
            continue
        if char == "{" and not inside_string:
            inside_props = True
            continue
        if char == "}" and not inside_string:
            inside_props = False
            rules[keyword] = props
            keyword, props = "", ""
            continue
        if inside_props:
            props += char
        elif not char.isspace():
            keyword += char
    parsed: list[tuple[str, dict[str, str]]] = []
    for selector, body in rules.items():
        values: dict[str, str] = {}
        for prop in body.split(";"):
            # Browser keeps what lies between the first and the second colon.
            key, value = ([*prop.split(":"), ""])[:2]
            if key.strip() and value.strip():
                values[key.strip()] = value.strip()
        parsed.append((selector, values))
    return parsed


def _grass_rule(selector: str) -> dict[str, str]:
    return dict(_grass_rules())[selector]


def _luminance(color: str) -> float:
    channels = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# ---- docker-compose.yml ----------------------------------------------------------------------


def test_compose_defines_neo4j_api_and_loader() -> None:
    assert {"neo4j", "api", "loader"} <= set(_compose()["services"])


def test_compose_neo4j_image_is_the_pinned_community_version() -> None:
    image = _service("neo4j")["image"]
    assert image == f"neo4j:{NEO4J_VERSION}-community"


def test_compose_neo4j_ports_are_published_on_loopback_only() -> None:
    assert sorted(_service("neo4j")["ports"]) == ["127.0.0.1:7474:7474", "127.0.0.1:7687:7687"]


def test_compose_api_port_is_published_on_loopback_only() -> None:
    assert _service("api")["ports"] == ["127.0.0.1:8000:8000"]


def test_compose_neo4j_has_a_healthcheck() -> None:
    healthcheck = _service("neo4j")["healthcheck"]
    assert healthcheck["test"]
    assert not healthcheck.get("disable", False)
    assert {"interval", "timeout", "retries", "start_period"} <= set(healthcheck)


def test_compose_api_and_loader_wait_for_a_healthy_neo4j() -> None:
    for name in KG_SERVICES:
        assert _service(name)["depends_on"]["neo4j"]["condition"] == "service_healthy", name


def test_compose_api_starts_after_the_loader_succeeded() -> None:
    condition = _service("api")["depends_on"]["loader"]["condition"]
    assert condition == "service_completed_successfully"


def test_compose_loader_is_one_shot() -> None:
    loader = _service("loader")
    assert loader["restart"] == "no"
    assert loader["command"][:2] == ["kg", "load"]


def test_compose_kg_env_names_are_settings_env_names() -> None:
    known = _settings_env_names()
    for name in KG_SERVICES:
        used = {key for key in _environment(name) if key.startswith(("NEO4J_", "KG_"))}
        assert used <= known, f"{name}: {sorted(used - known)} are not Settings env names"


def test_compose_api_and_loader_say_which_neo4j() -> None:
    for name in KG_SERVICES:
        env = _environment(name)
        assert set(env) >= CONNECTION_ENV, name
        assert env["NEO4J_URI"] == "bolt://neo4j:7687", name


def test_compose_neo4j_auth_and_client_password_agree() -> None:
    auth = _environment("neo4j")["NEO4J_AUTH"]
    user, _, password = auth.partition("/")
    for name in KG_SERVICES:
        env = _environment(name)
        assert env["NEO4J_USER"] == user, name
        assert env["NEO4J_PASSWORD"] == password, name
    _, default_password = _settings_field("neo4j_password")
    assert _default_of(password) == default_password.get_secret_value()


def test_compose_neo4j_memory_matches_settings_defaults() -> None:
    env = _environment("neo4j")
    heap_env, heap = _settings_field("neo4j_heap")
    pagecache_env, pagecache = _settings_field("neo4j_pagecache")
    expected = {
        "NEO4J_server_memory_heap_initial__size": (heap_env, heap),
        "NEO4J_server_memory_heap_max__size": (heap_env, heap),
        "NEO4J_server_memory_pagecache_size": (pagecache_env, pagecache),
    }
    for key, (env_name, default) in expected.items():
        value = env[key]
        assert _default_of(value) == default, key
        match = INTERPOLATION.match(value)
        if match:
            assert match["name"] == env_name, key


def _image_env_name(setting: str) -> str:
    """The official image's variable for a neo4j.conf key: _ doubled, then . as _."""
    return "NEO4J_" + setting.replace("_", "__").replace(".", "_")


def test_compose_neo4j_has_the_settings_the_project_runner_writes() -> None:
    env = _environment("neo4j")
    for setting, value in SHARED_SETTINGS.items():
        assert env.get(_image_env_name(setting)) == value, setting


# ---- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_runs_as_a_non_root_user() -> None:
    final_stage = _dockerfile_stages()[-1]
    users = [line.split(None, 1)[1] for line in final_stage if line.upper().startswith("USER ")]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":", 1)[0]
    assert user not in {"root", "0"}


def test_dockerfile_python_is_the_version_pyproject_requires() -> None:
    requires = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["requires-python"]
    specifier = SpecifierSet(requires)
    minimum = next(spec.version for spec in specifier if spec.operator == ">=")
    versions = {
        match[1]
        for stage in _dockerfile_stages()
        if (match := re.match(r"FROM\s+python:(\d+\.\d+)", stage[0], re.IGNORECASE))
    }
    assert versions == {minimum}
    assert Version(minimum) in specifier


# ---- schema/kg.grass -------------------------------------------------------------------------


def test_grass_has_each_entity_type_with_its_ontology_color() -> None:
    for entity_type, spec in _ontology()["entity_types"].items():
        rule = _grass_rule(f"node.{entity_type}")
        assert rule.get("color", "").upper() == spec["color"].upper(), entity_type


def test_grass_has_a_rule_for_each_relation_type() -> None:
    selectors = {selector for selector, _ in _grass_rules()}
    for relation_type in _ontology()["relation_types"]:
        assert f"relationship.{relation_type}" in selectors, relation_type


def test_grass_has_rules_for_the_lexical_graph() -> None:
    lexical = _ontology()["lexical"]
    assert _grass_rule("node.Article")["caption"] == "{title}"
    assert _grass_rule("node.Sentence")["caption"] == "{index}"
    selectors = {selector for selector, _ in _grass_rules()}
    for label in lexical["labels"]:
        assert f"node.{label}" in selectors, label
    for relationship_type in lexical["relationship_types"]:
        assert f"relationship.{relationship_type}" in selectors, relationship_type


def test_grass_entity_rule_precedes_the_type_rules() -> None:
    order = [selector for selector, _ in _grass_rules()]
    types = [order.index(f"node.{t}") for t in _ontology()["entity_types"]]
    assert "node.Entity" in order
    assert order.index("node.Entity") < min(types)


def test_grass_entity_rule_sets_color_and_caption() -> None:
    # Without them Browser appends its own node.Entity rule, which would repaint every entity.
    assert {"color", "caption"} <= set(_grass_rule("node.Entity"))


def test_grass_uses_only_properties_browser_understands() -> None:
    for selector, props in _grass_rules():
        assert selector.split(".", 1)[0] in {"node", "relationship"}, selector
        assert set(props) <= GRASS_PROPERTIES, selector


def test_grass_borders_are_darker_than_fills() -> None:
    for entity_type in _ontology()["entity_types"]:
        rule = _grass_rule(f"node.{entity_type}")
        assert _luminance(rule["border-color"]) < _luminance(rule["color"]), entity_type


def test_grass_node_captions_are_readable() -> None:
    for selector, props in _grass_rules():
        if selector.startswith("node.") and "text-color-internal" in props:
            assert _contrast(props["text-color-internal"], props["color"]) >= 4.5, selector
