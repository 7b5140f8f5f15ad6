"""The LLM extractor against a local server that answers like an OpenAI-compatible endpoint.

These check the request, the validation and the evidence checking, not a model's quality.
No Neo4j: the fixtures here are the fake endpoint, the seed article and a small gazetteer.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kg.config import Settings
from kg.domain import Article
from kg.errors import KgError
from loaders.document import document_to_graph, schema_problems
from loaders.gazetteer import Gazetteer, GazetteerEntry
from loaders.llm import LlmError, LlmExtractor
from loaders.parse import read_article

SEED = Path(__file__).resolve().parent.parent / "data" / "articles" / "000_9e847efd11a92494.txt"
KEY = "sk-test-SECRET-4242"
MODEL = "test-model-1"

MET = (
    "North Korean leader Kim Jong Un met with Russia's Minister of Natural Resources and Ecology "
    "Alexander Kozlov in Pyongyang, state media reported Tuesday, as visiting Russian "
    "delegations continue to highlight deepening ties between the two countries."
)
SIGNED = (
    "Kim and Russian President Vladimir Putin signed a strategic partnership treaty in June, "
    "committing both nations to mutual military assistance and cooperation against Western "
    "sanctions."
)
ACCUSED = (
    "The United States and South Korea have accused North Korea of sending over 10,000 "
    "soldiers to aid Russian forces in Ukraine, with experts suggesting Kim seeks advanced "
    "technology and battle experience for his own military."
)
INVENTED = "The United States said North Korea had sent 50,000 soldiers to Russia."


@dataclass
class FakeEndpoint:
    """What the local server answers, and the requests it received."""

    base_url: str
    status: int = 200
    body: bytes = b"{}"
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, content: str, status: int = 200) -> None:
        """Answer with a chat completion whose message content is `content`."""
        completion = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        self.status, self.body = status, json.dumps(completion).encode()

    def answer_document(self, doc: dict[str, Any]) -> None:
        self.answer(json.dumps(doc))


@pytest.fixture
def llm_server() -> Iterator[FakeEndpoint]:
    """A real HTTP server on 127.0.0.1 answering POST /v1/chat/completions."""
    endpoint = FakeEndpoint(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            endpoint.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)}
            )
            time.sleep(endpoint.delay_s)
            status, body = endpoint.status, endpoint.body
            if self.path != "/v1/chat/completions":
                status, body = 404, b'{"error": {"message": "not found"}}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    endpoint.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield endpoint
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def seed_article() -> Article:
    return read_article(SEED)


@pytest.fixture(scope="module")
def small_gazetteer() -> Gazetteer:
    return Gazetteer(
        [
            GazetteerEntry(
                "russia",
                "Country",
                "Russia",
                ("Russian Federation",),
                "Q159",
                demonyms=("Russian",),
            ),
            GazetteerEntry(
                "north-korea",
                "Country",
                "North Korea",
                ("DPRK",),
                "Q423",
                demonyms=("North Korean",),
            ),
            GazetteerEntry("united-states", "Country", "United States", ("US", "U.S."), "Q30"),
            GazetteerEntry("south-korea", "Country", "South Korea", ("ROK",), "Q884"),
            GazetteerEntry(
                "vladimir-putin",
                "Person",
                "Vladimir Putin",
                ("Putin", "Russian President"),
                "Q7747",
                country="russia",
                office="President",
                office_relation="LEADER_OF",
            ),
            GazetteerEntry(
                "kim-jong-un",
                "Person",
                "Kim Jong Un",
                ("Kim",),
                "Q56226",
                country="north-korea",
                office="Supreme Leader",
                office_relation="LEADER_OF",
            ),
            GazetteerEntry("pyongyang", "Place", "Pyongyang", (), "Q18808", country="north-korea"),
            GazetteerEntry(
                "korean-central-news-agency",
                "MediaOutlet",
                "Korean Central News Agency",
                ("KCNA",),
                country="north-korea",
            ),
        ]
    )


@pytest.fixture
def llm(llm_server: FakeEndpoint, small_gazetteer: Gazetteer) -> Iterator[LlmExtractor]:
    extractor = LlmExtractor(llm_server.base_url, MODEL, KEY, small_gazetteer, timeout_s=5)
    yield extractor
    extractor.close()


def _relation(
    type_: str, subject: str, object_: str, evidence: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "type": type_,
        "subject": subject,
        "object": object_,
        "status": "reported",
        "evidence": evidence,
        **extra,
    }


def model_document() -> dict[str, Any]:
    """What a careless model might answer: names instead of ids, invented evidence, and more."""
    return {
        "article": {"id": "whatever-the-model-says", "title": "?"},
        "entities": [
            {"id": "kim", "type": "Person", "name": "Kim Jong Un"},
            {"id": "putin", "type": "Person", "name": "Putin"},
            {"id": "kozlov", "type": "Person", "name": "Alexander Kozlov", "aliases": ["Kozlov"]},
            {"id": "dprk", "type": "Country", "name": "North Korea"},
            {"id": "usa", "type": "Country", "name": "America", "aliases": ["United States"]},
            {"id": "pyongyang", "type": "Place", "name": "Pyongyang"},
            {"id": "kcna", "type": "MediaOutlet", "name": "KCNA"},
            {"id": "treaty", "type": "Treaty", "name": "Strategic Partnership Treaty"},
            {"id": "weather", "type": "Weather", "name": "Cold front"},
        ],
        "relations": [
            # 0: verbatim evidence with wrong offsets: kept, offsets corrected
            _relation(
                "MET_WITH",
                "kim",
                "kozlov",
                {"text": MET, "start": 0, "end": 5},
                place="pyongyang",
                attributed_to=["kcna"],
                date="2024-11-18",
            ),
            # 1: a name for an id, whitespace-mangled evidence, a date that is not ISO
            _relation(
                "SIGNED",
                "Putin",
                "treaty",
                {"text": "  ".join(SIGNED.split(" "))},
                date="June 2024",
            ),
            # 2: invented evidence
            _relation("ACCUSED", "usa", "dprk", {"text": INVENTED}),
            # 3: unknown relation type
            _relation("INVADED", "dprk", "usa", {"text": ACCUSED}),
            # 4: a Place cannot lead a Country
            _relation("LEADER_OF", "pyongyang", "dprk", {"text": MET}),
            # 5: an entity nobody declared
            _relation("MET_WITH", "kim", "xi-jinping", {"text": MET}),
            # 6: an entity dropped for its unknown type
            _relation("VISITED", "weather", "pyongyang", {"text": MET}),
            # 7: a status the ontology does not have
            _relation("ACCUSED", "usa", "dprk", {"text": ACCUSED}, status="confirmed"),
            # 8: evidence as a bare string, kept
            _relation("ACCUSED", "usa", "dprk", ACCUSED, quantity=10000, confidence=1.5),
        ],
    }


def test_the_request_is_a_json_schema_chat_completion(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    llm_server.answer_document(model_document())
    llm.run(seed_article)
    (request,) = llm_server.requests
    body = request["json"]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert body["model"] == MODEL
    assert body["temperature"] == 0
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "article_graph"
    assert response_format["json_schema"]["strict"] is False
    assert response_format["json_schema"]["schema"]["title"] == "Article graph document"
    system, user = body["messages"]
    assert system["role"] == "system"
    assert "LEADER_OF (Person -> Country)" in system["content"]
    assert "verbatim sentence" in system["content"]
    assert user["role"] == "user"
    assert seed_article.text in user["content"]
    assert "2024-11-19T11:30:20" in user["content"]


def test_no_key_no_authorization_header(
    llm_server: FakeEndpoint, small_gazetteer: Gazetteer, seed_article: Article
) -> None:
    llm_server.answer_document(model_document())
    LlmExtractor(llm_server.base_url + "/", MODEL, None, small_gazetteer).run(seed_article)
    assert "Authorization" not in llm_server.requests[0]["headers"]


def test_the_model_document_is_checked(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    llm_server.answer_document(model_document())
    doc = llm.run(seed_article)
    assert schema_problems(doc) == []
    entities, relations = document_to_graph(doc, seed_article, "llm")
    assert doc["article"]["id"] == seed_article.id
    assert doc["article"]["content_sha256"] == seed_article.content_sha256

    by_id = {e.id: e for e in entities}
    assert set(by_id) == {
        "kim-jong-un",
        "vladimir-putin",
        "alexander-kozlov",
        "north-korea",
        "united-states",
        "pyongyang",
        "korean-central-news-agency",
        "strategic-partnership-treaty",
    }
    assert by_id["vladimir-putin"].name == "Vladimir Putin"
    assert "Putin" in by_id["vladimir-putin"].aliases
    assert by_id["vladimir-putin"].wikidata == "Q7747"
    assert "America" in by_id["united-states"].aliases

    assert [(r.type, r.subject, r.object) for r in relations] == [
        ("MET_WITH", "kim-jong-un", "alexander-kozlov"),
        ("SIGNED", "vladimir-putin", "strategic-partnership-treaty"),
        ("ACCUSED", "united-states", "north-korea"),
    ]
    met, signed, accused = relations
    start = seed_article.text.index(MET)
    assert (met.evidence[0].start, met.evidence[0].end) == (start, start + len(MET))
    assert met.evidence[0].sentence_index == 0
    assert met.place == "pyongyang"
    assert met.attributed_to == ("korean-central-news-agency",)
    assert met.date == "2024-11-18"
    assert signed.evidence[0].text == SIGNED  # the article's sentence, not the mangled words
    assert signed.date is None
    assert accused.evidence[0].text == ACCUSED
    assert accused.quantity == 10000
    assert accused.confidence is None  # 1.5 is no probability

    dropped = {
        "invented_evidence": 1,
        "unknown_type": 1,
        "disallowed_types": 1,
        "dangling_ids": 2,
        "invalid_status": 1,
        "unknown_entity_type": 1,
        "malformed": 0,
    }
    assert doc["extraction"] == {"extractor": "llm", "model": MODEL, "dropped": dropped}
    assert llm.last_report.counts() == dropped
    assert any(INVENTED in note for note in llm.last_report.notes)


def test_invented_evidence_is_dropped_and_counted(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    doc = model_document()
    doc["relations"] = [
        _relation("ACCUSED", "usa", "dprk", {"text": INVENTED, "start": 772, "end": 841})
    ]
    llm_server.answer_document(doc)
    result = llm.run(seed_article)
    assert result["relations"] == []
    assert llm.last_report.invented_evidence == 1


def test_the_model_offsets_count_only_when_they_hold_the_evidence(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    text = seed_article.text
    first = text.index(ACCUSED)
    later = text.index("North Korea", first + 1)  # not the first "North Korea" of the text
    back = later - len(text)
    assert text[back : back + 11] == "North Korea"
    doc = model_document()
    doc["relations"] = [
        _relation(
            "ACCUSED", "usa", "dprk", {"text": "North Korea", "start": later, "end": later + 11}
        ),
        _relation("ACCUSED", "usa", "dprk", {"text": "North Korea", "start": 1, "end": 12}),
        # negative offsets that Python would slice to the same words are no offsets
        _relation(
            "ACCUSED", "usa", "dprk", {"text": "North Korea", "start": back, "end": back + 11}
        ),
    ]
    llm_server.answer_document(doc)
    evidence = [r["evidence"] for r in llm.run(seed_article)["relations"]]
    head = text.index("North Korea")
    assert [(e["start"], e["end"]) for e in evidence] == [
        (later, later + 11),
        (head, head + 11),
        (head, head + 11),
    ]
    document_to_graph(llm.run(seed_article), seed_article, "llm")


def test_fenced_json_and_empty_documents_are_accepted(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    llm_server.answer("```json\n" + json.dumps({"entities": "nonsense"}) + "\n```")
    doc = llm.run(seed_article)
    assert (doc["entities"], doc["relations"]) == ([], [])
    document_to_graph(doc, seed_article, "llm")


def _raises_naming_the_endpoint(llm: LlmExtractor, article: Article, *words: str) -> str:
    with pytest.raises(LlmError) as caught:
        llm.run(article)
    message = str(caught.value)
    assert llm.endpoint in message
    assert KEY not in message
    for word in words:
        assert word in message
    return message


def test_http_error_status(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    llm_server.status, llm_server.body = 500, f"boom; you sent Bearer {KEY}".encode()
    _raises_naming_the_endpoint(llm, seed_article, "HTTP 500", "boom")


def test_non_json_content(
    llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article
) -> None:
    llm_server.answer("Sorry, I cannot help with that.")
    _raises_naming_the_endpoint(llm, seed_article, "not JSON")


def test_no_choices(llm: LlmExtractor, llm_server: FakeEndpoint, seed_article: Article) -> None:
    llm_server.status, llm_server.body = 200, b'{"choices": []}'
    _raises_naming_the_endpoint(llm, seed_article, "choices")


def test_timeout(
    llm_server: FakeEndpoint, small_gazetteer: Gazetteer, seed_article: Article
) -> None:
    llm_server.answer_document(model_document())
    llm_server.delay_s = 1.0
    slow = LlmExtractor(llm_server.base_url, MODEL, KEY, small_gazetteer, timeout_s=0.2)
    _raises_naming_the_endpoint(slow, seed_article, "0.2s")


def test_unreachable_endpoint(small_gazetteer: Gazetteer, seed_article: Article) -> None:
    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gone = LlmExtractor(f"http://127.0.0.1:{port}/v1", MODEL, KEY, small_gazetteer)
    _raises_naming_the_endpoint(gone, seed_article, "cannot reach")


def test_from_settings_is_off_by_default(
    monkeypatch: pytest.MonkeyPatch, small_gazetteer: Gazetteer
) -> None:
    for name in ("KG_LLM_BASE_URL", "KG_LLM_MODEL", "KG_LLM_API_KEY", "KG_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    off = Settings(_env_file=None)
    with pytest.raises(KgError, match="the LLM extractor is off: set KG_LLM_BASE_URL and"):
        LlmExtractor.from_settings(off, small_gazetteer)


def test_from_settings(monkeypatch: pytest.MonkeyPatch, small_gazetteer: Gazetteer) -> None:
    monkeypatch.setenv("KG_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("KG_LLM_MODEL", MODEL)
    monkeypatch.setenv("KG_LLM_API_KEY", KEY)
    monkeypatch.setenv("KG_LLM_TIMEOUT", "7.5")
    made = LlmExtractor.from_settings(Settings(_env_file=None), small_gazetteer)
    assert (made.endpoint, made.model, made.timeout_s) == (
        "http://127.0.0.1:9/v1/chat/completions",
        MODEL,
        7.5,
    )
    made.close()
    monkeypatch.setenv("KG_LLM_BASE_URL", "ftp://example.org")
    with pytest.raises(KgError, match="http"):
        LlmExtractor.from_settings(Settings(_env_file=None), small_gazetteer)


@pytest.mark.parametrize(
    ("base_url", "model", "timeout_s", "words"),
    [
        ("", MODEL, 1.0, "base_url"),
        ("ftp://example.org/v1", MODEL, 1.0, "http"),
        ("example.org/v1", MODEL, 1.0, "http"),
        ("http://127.0.0.1:1/v1", "", 1.0, "model"),
        ("http://127.0.0.1:1/v1", "  ", 1.0, "model"),
        ("http://127.0.0.1:1/v1", MODEL, 0, "timeout_s"),
        ("http://127.0.0.1:1/v1", MODEL, -1.0, "timeout_s"),
        ("http://127.0.0.1:1/v1", MODEL, float("nan"), "timeout_s"),
    ],
)
def test_constructor_rejects_bad_arguments(
    base_url: str, model: str, timeout_s: float, words: str, small_gazetteer: Gazetteer
) -> None:
    with pytest.raises(ValueError, match=words):
        LlmExtractor(base_url, model, KEY, small_gazetteer, timeout_s)


def test_constructor_rejects_a_bad_key_or_gazetteer(small_gazetteer: Gazetteer) -> None:
    with pytest.raises(ValueError, match="api_key"):
        LlmExtractor("http://127.0.0.1:1/v1", MODEL, "", small_gazetteer)
    with pytest.raises(TypeError, match="Gazetteer"):
        LlmExtractor("http://127.0.0.1:1/v1", MODEL, KEY, {})  # type: ignore[arg-type]
