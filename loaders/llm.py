"""llm: an optional extractor that asks an OpenAI-compatible chat-completions endpoint.

The model is asked for the interchange document by JSON schema; nothing it says is trusted.
Every entity is resolved through the gazetteer, every relation checked against the ontology,
and every piece of evidence looked up in the article: invented evidence is dropped and
counted in `LlmReport`. The result always passes `document_to_graph` for its article.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from kg.config import Settings
from kg.domain import Article, article_metadata
from kg.errors import KgError
from kg.ids import slugify
from kg.ontology import entity_types, relation_rules, statuses
from kg.resources import schema_file
from loaders.document import schema_problems
from loaders.gazetteer import Gazetteer

_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?(/[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?)?")
_WIKIDATA = re.compile(r"Q[0-9]+")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_PLACE_TYPES = frozenset({"Place", "Country"})
_TEXT_QUALIFIERS = ("date_text", "quantity_qualifier", "claim", "as", "role")


class LlmError(KgError):
    """The model service failed or answered something that is not a chat completion."""


@dataclass
class LlmReport:
    """What post-processing dropped from the model's document: counts by reason, and notes.

    Relations: evidence missing or not in the article, a type the ontology lacks, an id no
    (kept) entity has, subject/object types the rule forbids, a status not in the ontology.
    Entities: a type the ontology lacks. Either: not an object, or no name (malformed).
    """

    invented_evidence: int = 0
    unknown_type: int = 0
    dangling_ids: int = 0
    disallowed_types: int = 0
    invalid_status: int = 0
    unknown_entity_type: int = 0
    malformed: int = 0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "notes"}

    def drop(self, where: str, reason: str, why: str) -> None:
        setattr(self, reason, getattr(self, reason) + 1)
        self.notes.append(f"{where}: {why}")


@cache
def _interchange_schema() -> dict[str, Any]:
    with schema_file("article-graph.schema.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def system_prompt() -> str:
    """The ontology, the id rule and the evidence rule, as instructions to the model."""
    with schema_file("ontology.json").open(encoding="utf-8") as fh:
        onto: dict[str, Any] = json.load(fh)
    lines = [
        "You extract a knowledge graph from one news article. Answer with one JSON object",
        "{article, entities, relations} following the given JSON schema, and nothing else.",
        "\nEntity types:",
        *(f"- {n}: {spec['description']}" for n, spec in onto["entity_types"].items()),
        "\nRelation types (subject types -> object types, * is any type): meaning",
        *(
            f"- {n} ({' | '.join(spec['subject'])} -> {' | '.join(spec['object'])}): "
            f"{spec['description']}"
            for n, spec in onto["relation_types"].items()
        ),
        "\nStatuses:",
        *(f"- {n}: {meaning}" for n, meaning in onto["statuses"].items()),
        "\nQualifiers of a relation, all optional: attributed_to (ids of who says so), date (ISO",
        "date of the event, partial or a range 'a/b'; resolve 'Tuesday' or 'last week' against",
        "the publication date), date_text (the words giving the date), place (id of a Place or",
        "Country), quantity and quantity_qualifier (over, about, at least, up to), topics, claim,",
        "as, role (the office, for OFFICIAL_OF, HEADS, MEMBER_OF), confidence (0..1).",
        "\nIds: an entity's id is the lowercase slug of its canonical full name, words joined by",
        "hyphens, apostrophes dropped ('Kim Jong Un' -> 'kim-jong-un'); other names go in",
        "aliases. Relations refer to entities by id; declare every entity you refer to.",
        "\nEvidence: evidence.text must be one verbatim sentence of the article, copied exactly,",
        "that states the relation. Extract only what the article says; add no outside knowledge.",
    ]
    return "\n".join(lines)


def user_prompt(article: Article) -> str:
    meta = article_metadata(article)
    header = "\n".join(f"{k}: {v}" for k, v in meta.items() if v is not None)
    return f"{header}\n\nArticle text:\n{article.text}"


def _public(url: str) -> str:
    """The URL without any user:password part, fit for messages."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def _squash(text: str) -> str:
    return " ".join(text.split())


class LlmExtractor:
    """Extraction by a model behind an OpenAI-compatible `/chat/completions` endpoint."""

    name = "llm"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        gazetteer: Gazetteer,
        timeout_s: float = 60.0,
        client: httpx.Client | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.strip():
            raise ValueError("base_url must be a non-empty URL such as https://host/v1")
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, not {_public(base_url)!r}")
        if not isinstance(model, str) or not model.strip():
            raise ValueError("model must be a non-empty model name")
        if api_key is not None and (not isinstance(api_key, str) or not api_key.strip()):
            raise ValueError("api_key must be a non-empty string, or None for no key")
        if not isinstance(gazetteer, Gazetteer):
            raise TypeError(f"gazetteer must be a Gazetteer, not {type(gazetteer).__name__}")
        if (_number(timeout_s) or 0) <= 0:
            raise ValueError(f"timeout_s must be a positive number of seconds, not {timeout_s!r}")
        self.endpoint = base_url.strip().rstrip("/") + "/chat/completions"
        self.model = model.strip()
        self.gazetteer = gazetteer
        self.timeout_s = float(timeout_s)
        self._api_key = api_key
        self._client = client or httpx.Client(timeout=self.timeout_s)
        self._owns_client = client is None
        self.last_report = LlmReport()

    @classmethod
    def from_settings(cls, settings: Settings, gazetteer: Gazetteer) -> LlmExtractor:
        """The extractor KG_LLM_* configure; KgError when they leave it off or are invalid."""
        url, model, secret = settings.llm_base_url, settings.llm_model, settings.llm_api_key
        if not url or not model:
            raise KgError("the LLM extractor is off: set KG_LLM_BASE_URL and KG_LLM_MODEL")
        key = secret.get_secret_value() if secret else ""
        try:
            return cls(url, model, key or None, gazetteer, settings.llm_timeout_s)
        except ValueError as exc:
            raise KgError(f"KG_LLM_* settings: {exc}") from exc

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _fail(self, message: str) -> LlmError:
        if self._api_key:
            message = message.replace(self._api_key, "***")
        return LlmError(f"LLM endpoint {_public(self.endpoint)}: {message}")

    def request_body(self, article: Article) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system_prompt()},
                {"role": "user", "content": user_prompt(article)},
            ],
            "temperature": 0,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "article_graph",
                    "schema": _interchange_schema(),
                    "strict": False,
                },
            },
        }

    def _complete(self, article: Article) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        body, wait = self.request_body(article), self.timeout_s
        try:
            response = self._client.post(self.endpoint, json=body, headers=headers, timeout=wait)
        except httpx.TimeoutException as exc:
            raise self._fail(f"no answer within {self.timeout_s:g}s") from exc
        except httpx.HTTPError as exc:
            raise self._fail(f"cannot reach it: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise self._fail(f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise self._fail(f"not a chat completion with choices: {response.text[:300]}") from exc
        if not isinstance(content, str):
            raise self._fail("the completion has no text content")
        fenced = _FENCE.match(content.strip())
        try:
            doc = json.loads(fenced[1] if fenced else content)
        except json.JSONDecodeError as exc:
            raise self._fail(
                f"the model's answer is not JSON ({exc.msg}): {content[:200]!r}"
            ) from exc
        if not isinstance(doc, dict):
            raise self._fail("the model's answer is not a JSON object")
        return doc

    def run(self, article: Article) -> dict[str, Any]:
        """The checked interchange document of the article; LlmError when the service fails."""
        self.last_report = report = LlmReport()
        raw = self._complete(article)
        entities, ids = self._entities(raw.get("entities"), report)
        relations = []
        for i, item in enumerate(_list(raw.get("relations"))):
            checked = self._relation(item, entities, ids, article)
            if isinstance(checked, dict):
                relations.append(checked)
            else:
                report.drop(f"relations/{i}", *checked)
        doc = {
            "article": article_metadata(article),
            "entities": list(entities.values()),
            "relations": relations,
            "extraction": {"extractor": self.name, "model": self.model, "dropped": report.counts()},
        }
        problems = schema_problems(doc)
        if problems:  # a bug here, not the model's fault: post-processing must prevent it
            raise self._fail("post-processing left schema problems: " + "; ".join(problems))
        return doc

    def _entity(self, item: Any) -> dict[str, Any] | tuple[str, str]:
        """The entity as the gazetteer knows it, else as a slug of its name; or why not."""
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not slugify(name):
            return "malformed", f"not an entity with a name: {item!r}"
        name = name.strip()
        aliases = [
            a.strip() for a in _list(item.get("aliases")) if isinstance(a, str) and a.strip()
        ]
        wikidata, description = item.get("wikidata"), item.get("description")
        entry = self.gazetteer.get(item["id"]) if isinstance(item.get("id"), str) else None
        for form in (name, *aliases):
            entry = entry or self.gazetteer.lookup(form)
        if entry is not None:
            aliases = [*entry.aliases, name, *aliases]
            wikidata, description = entry.wikidata or wikidata, entry.description or description
        elif item.get("type") not in entity_types():
            return "unknown_entity_type", f"{name!r} has unknown type {item.get('type')!r}"
        return {
            "id": entry.id if entry else slugify(name),
            "type": entry.type if entry else item["type"],
            "name": entry.name if entry else name,
            "aliases": aliases,
            "wikidata": wikidata if _WIKIDATA.fullmatch(str(wikidata)) else None,
            "description": description if isinstance(description, str) else None,
        }

    def _entities(
        self, items: Any, report: LlmReport
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Entity records by final id, and every id/name the model used -> final id."""
        entities: dict[str, dict[str, Any]] = {}
        ids: dict[str, str] = {}
        for i, item in enumerate(_list(items)):
            checked = self._entity(item)
            if isinstance(checked, tuple):
                report.drop(f"entities/{i}", *checked)
                continue
            seen = entities.setdefault(checked["id"], checked)  # the first type wins a clash
            forms = dict.fromkeys([*seen["aliases"], *checked["aliases"], checked["name"]])
            seen["aliases"] = [a for a in forms if a != seen["name"]]
            seen["wikidata"] = seen["wikidata"] or checked["wikidata"]
            seen["description"] = seen["description"] or checked["description"]
            for ref in (item.get("id"), item["name"], item["name"].strip(), seen["id"]):
                if isinstance(ref, str):
                    ids.setdefault(ref, seen["id"])
        return entities, ids

    def _relation(
        self,
        item: Any,
        entities: dict[str, dict[str, Any]],
        ids: dict[str, str],
        article: Article,
    ) -> dict[str, Any] | tuple[str, str]:
        """The checked relation, or (the LlmReport counter to bump, why) when it is dropped."""
        if not isinstance(item, dict):
            return "malformed", "not an object"
        type_ = item.get("type")
        rule = relation_rules().get(type_) if isinstance(type_, str) else None
        if rule is None:
            return "unknown_type", f"unknown relation type {type_!r}"
        refs: list[Any] = [item.get("subject"), item.get("object")]
        extra: list[Any] = [item.get("place")] if item.get("place") is not None else []
        attributed = item.get("attributed_to") or []
        attributed = attributed if isinstance(attributed, list) else [attributed]
        missing = [r for r in refs + extra + attributed if not isinstance(r, str) or r not in ids]
        if missing:
            return "dangling_ids", f"{type_} names undeclared entities {missing!r}"
        subject, object_ = entities[ids[refs[0]]], entities[ids[refs[1]]]
        if not rule.allows(subject["type"], object_["type"]):
            return "disallowed_types", (
                f"{type_} cannot go from {subject['type']} {subject['id']!r} "
                f"to {object_['type']} {object_['id']!r}"
            )
        if item.get("status") not in statuses():
            return "invalid_status", f"invalid status {item.get('status')!r}"
        evidence = _locate(item.get("evidence"), article)
        if evidence is None:
            return "invented_evidence", f"evidence not in the article: {item.get('evidence')!r}"
        place = entities[ids[extra[0]]] if extra else None
        date = item.get("date")
        return {
            "type": type_,
            "subject": subject["id"],
            "object": object_["id"],
            "status": item["status"],
            "evidence": evidence,
            "attributed_to": list(dict.fromkeys(ids[r] for r in attributed)),
            "date": date if isinstance(date, str) and _DATE.fullmatch(date) else None,
            "place": place["id"] if place and place["type"] in _PLACE_TYPES else None,
            "quantity": _number(item.get("quantity")),
            "confidence": _number(item.get("confidence"), 0.0, 1.0),
            "topics": [t for t in _list(item.get("topics")) if isinstance(t, str)],
            **{k: item[k] if isinstance(item.get(k), str) else None for k in _TEXT_QUALIFIERS},
        }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _index(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(value: Any, low: float = -math.inf, high: float = math.inf) -> float | None:
    """A finite JSON number within [low, high], else None (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _locate(raw: Any, article: Article) -> dict[str, Any] | None:
    """The evidence with offsets into the article, or None when the article does not say it."""
    text = raw.get("text") if isinstance(raw, dict) else raw
    if not isinstance(text, str) or not text.strip():
        return None
    start, end = (raw.get("start"), raw.get("end")) if isinstance(raw, dict) else (None, None)
    if _index(start) is not None and _index(end) is not None and article.text[start:end] == text:
        return {"text": text, "start": start, "end": end}
    found = article.text.find(text)
    if found >= 0:
        return {"text": text, "start": found, "end": found + len(text)}
    wanted = _squash(text)
    for sentence in article.sentences:
        if wanted in _squash(sentence.text):
            return {"text": sentence.text, "start": sentence.start, "end": sentence.end}
    return None
