"""The GraphQL API answers the foundation questions from the loaded seed, field by field."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kg.api.app import KgGraphQL, create_app
from kg.api.schema import build_schema
from kg.config import Settings
from kg.store import GraphStore
from tests.conftest import SEED, SEED_ID, graphql

TREATY = "russia-north-korea-strategic-partnership-treaty"


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    result: dict[str, Any] = body["data"]
    return result


async def test_who_met_kim_jong_un_when_where_according_to_whom(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{
      entity(id: "kim-jong-un") { relations(types: [MET_WITH]) {
        subject { id name } object { id } date dateText place { id name } status
        attributedTo { id name } topics } } }""",
    )
    [meeting] = data(body)["entity"]["relations"]
    assert {meeting["subject"]["id"], meeting["object"]["id"]} == {
        "kim-jong-un",
        "alexander-kozlov",
    }
    assert meeting["subject"]["name"] == "Alexander Kozlov"
    assert meeting["date"] == "2024-11-18"
    assert meeting["dateText"] == "on Monday"
    assert meeting["place"] == {"id": "pyongyang", "name": "Pyongyang"}
    assert meeting["status"] == "reported"
    assert [a["id"] for a in meeting["attributedTo"]] == ["korean-central-news-agency"]
    assert meeting["topics"] == ["trade", "economy", "science", "technology"]


async def test_a_meeting_is_answered_from_both_sides_and_both_directions(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{
      kim: entity(id: "kim-jong-un") { relations(types: [MET_WITH], direction: OUT) { key } }
      kozlov: entity(id: "alexander-kozlov") {
        relations(types: [MET_WITH], direction: IN) { key } } }""",
    )
    answer = data(body)
    assert answer["kim"]["relations"] == answer["kozlov"]["relations"]
    assert len(answer["kim"]["relations"]) == 1


async def test_what_kozlov_heads_and_of_which_country(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ entity(id: "alexander-kozlov") {
      heads: relations(types: [HEADS], direction: OUT) { object { id name type } role }
      office: relations(types: [OFFICIAL_OF], direction: OUT) { object { name } role } } }""",
    )
    kozlov = data(body)["entity"]
    ministry = next(r for r in kozlov["heads"] if r["object"]["type"] == "GovernmentBody")
    assert ministry["object"]["name"] == "Ministry of Natural Resources and Ecology"
    assert [r["object"]["name"] for r in kozlov["office"]] == ["Russia"]
    assert kozlov["office"][0]["role"] == "Minister of Natural Resources and Ecology"
    body = await graphql(
        client,
        f"""{{ entity(id: "{ministry["object"]["id"]}") {{
      relations(types: [PART_OF], direction: OUT) {{ object {{ id }} }} }} }}""",
    )
    assert [r["object"]["id"] for r in data(body)["entity"]["relations"]] == ["russia"]


async def test_who_signed_the_treaty_and_when(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        f"""{{ entity(id: "{TREATY}") {{ name aliases
      relations(types: [SIGNED]) {{ subject {{ name }} date dateText }} }} }}""",
    )
    treaty = data(body)["entity"]
    assert {"defense pact", "the deal"} <= set(treaty["aliases"])
    signers = {r["subject"]["name"]: (r["date"], r["dateText"]) for r in treaty["relations"]}
    assert signers == {
        "Kim Jong Un": ("2024-06", "in June"),
        "Vladimir Putin": ("2024-06", "in June"),
    }


async def test_who_ratified_the_treaty(seeded: GraphStore, client: httpx.AsyncClient) -> None:
    body = await graphql(
        client,
        f"""{{ entity(id: "{TREATY}") {{
      relations(types: [RATIFIED]) {{ subject {{ id name }} date dateText }} }} }}""",
    )
    ratified = {r["subject"]["id"]: r for r in data(body)["entity"]["relations"]}
    assert set(ratified) == {"north-korea", "federal-assembly-of-russia"}
    assert ratified["north-korea"]["date"] == "2024-11-11/2024-11-17"
    assert ratified["north-korea"]["dateText"] == "Last week"
    assert ratified["federal-assembly-of-russia"]["subject"]["name"] == "Federal Assembly of Russia"


async def test_who_accuses_north_korea_of_what(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ entity(id: "north-korea") {
      relations(types: [ACCUSED], direction: IN) { subject { id } claim status } } }""",
    )
    accusations = data(body)["entity"]["relations"]
    assert {a["subject"]["id"] for a in accusations} == {"united-states", "south-korea"}
    for accusation in accusations:
        assert accusation["claim"] == (
            "sending over 10,000 soldiers to aid Russian forces in Ukraine"
        )


async def test_which_deployment_is_alleged_of_what_size_by_whom(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ entity(id: "north-korea") {
      relations(types: [DEPLOYED_TROOPS_TO], direction: OUT) {
        object { id } status quantity quantityQualifier attributedTo { id } place { id } } } }""",
    )
    [deployment] = data(body)["entity"]["relations"]
    assert deployment["object"]["id"] == "russia"
    assert deployment["status"] == "alleged"
    assert deployment["quantity"] == 10000
    assert deployment["quantityQualifier"] == "over"
    assert {a["id"] for a in deployment["attributedTo"]} == {"united-states", "south-korea"}
    assert deployment["place"]["id"] == "ukraine"


async def test_what_north_korea_has_test_fired(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ entity(id: "north-korea") {
      relations(types: [TESTED], direction: OUT) { object { name type } } } }""",
    )
    tested = {r["object"]["name"] for r in data(body)["entity"]["relations"]}
    assert tested == {"North Korean ballistic missiles", "North Korean solid-fuel ICBM"}


async def test_how_putin_is_connected_to_kozlov_hop_by_hop_with_evidence(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ path(from: "vladimir-putin", to: "alexander-kozlov") {
      __typename ... on Path { length entities { id }
        relations { type subject { id } object { id } evidence { text start end } } } } }""",
    )
    path = data(body)["path"]
    assert path["__typename"] == "Path"
    assert path["length"] == 2
    assert path["entities"][0]["id"] == "vladimir-putin"
    assert path["entities"][-1]["id"] == "alexander-kozlov"
    text = SEED.read_text(encoding="utf-8")
    for hop, (left, right) in zip(
        path["relations"], zip(path["entities"], path["entities"][1:], strict=False), strict=True
    ):
        assert {hop["subject"]["id"], hop["object"]["id"]} == {left["id"], right["id"]}
        assert hop["evidence"], hop
        for evidence in hop["evidence"]:
            assert text[evidence["start"] : evidence["end"]] == evidence["text"]


async def test_which_facts_are_alleged_or_speculated(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ relations(statuses: [alleged, speculated]) {
      type status subject { id } object { id } } }""",
    )
    found = {
        (r["type"], r["subject"]["id"], r["object"]["id"], r["status"])
        for r in data(body)["relations"]
    }
    assert ("DEPLOYED_TROOPS_TO", "north-korea", "russia", "alleged") in found
    assert ("SUPPORTS", "russia", "north-korea", "speculated") in found
    assert all(status in ("alleged", "speculated") for *_, status in found)


async def test_every_answer_has_its_sentence_verbatim_at_its_offsets(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        f"""{{ article(id: "{SEED_ID}") {{ text
      relations {{ key evidence {{ text start end sentenceIndex article {{ id }} }} }}
      sentences {{ index text start end }} }} }}""",
    )
    article = data(body)["article"]
    sentences = {s["index"]: s for s in article["sentences"]}
    assert len(article["relations"]) == 35
    for relation in article["relations"]:
        for evidence in relation["evidence"]:
            assert article["text"][evidence["start"] : evidence["end"]] == evidence["text"]
            assert evidence["article"]["id"] == SEED_ID
            sentence = sentences[evidence["sentenceIndex"]]
            assert sentence["start"] <= evidence["start"] < sentence["end"]


async def test_each_sentence_lists_the_relations_it_supports(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        f"""{{ article(id: "{SEED_ID}") {{
      sentences(includeBoilerplate: false) {{ index boilerplate relations {{ type }} }} }} }}""",
    )
    sentences = data(body)["article"]["sentences"]
    assert not any(s["boilerplate"] for s in sentences)
    ratification = next(s for s in sentences if s["index"] == 5)
    assert {r["type"] for r in ratification["relations"]} >= {"RATIFIED"}


async def test_search_finds_entities_by_name_alias_and_type(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{
      kim: search(text: "Kim") { id }
      pact: search(text: "defense pact", types: [Treaty]) { id __typename }
      nothing: search(text: "Atlantis") { id } }""",
    )
    answer = data(body)
    assert answer["kim"][0]["id"] == "kim-jong-un"
    assert answer["pact"] == [{"id": TREATY, "__typename": "Treaty"}]
    assert answer["nothing"] == []


async def test_neighbors_are_nearest_first_within_depth(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ entity(id: "vladimir-putin") {
      neighbors(depth: 2) { distance entity { id } } } }""",
    )
    neighbors = data(body)["entity"]["neighbors"]
    distances = [n["distance"] for n in neighbors]
    assert distances == sorted(distances)
    by_id = {n["entity"]["id"]: n["distance"] for n in neighbors}
    assert by_id["russia"] == 1
    assert by_id["alexander-kozlov"] == 2


async def test_timeline_between_two_entities_is_in_date_order(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{
      all: timeline(entity: "kim-jong-un") { type date }
      pair: timeline(entity: "kim-jong-un", other: "alexander-kozlov") { type date }
      june: timeline(entity: "kim-jong-un", from: "2024-06-01", to: "2024-06-30") { type } }""",
    )
    answer = data(body)
    dates = [r["date"] for r in answer["all"]]
    assert dates == sorted(dates)
    assert dates[0] == "2024-06"
    assert answer["pair"] == [{"type": "MET_WITH", "date": "2024-11-18"}]
    assert answer["june"] == [{"type": "SIGNED"}]


async def test_path_to_an_unknown_entity_is_a_typed_result(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(
        client,
        """{ path(from: "kim-jong-un", to: "nobody") {
      __typename ... on EntityNotFound { id message } } }""",
    )
    assert data(body)["path"] == {
        "__typename": "EntityNotFound",
        "id": "nobody",
        "message": "no entity has the id 'nobody'",
    }


@pytest.mark.parametrize(
    ("ends", "expected"),
    [
        (
            'from: "nobody", to: "kim-jong-un"',
            {"__typename": "EntityNotFound", "id": "nobody"},
        ),
        (
            'from: "kim-jong-un", to: "kim-jong-un"',
            {"__typename": "Path", "length": 0, "entities": [{"id": "kim-jong-un"}]},
        ),
        (
            'from: "vladimir-putin", to: "alexander-kozlov", maxLength: 1',
            {"__typename": "NoPath", "message": "no path of at most 1 relations joins them"},
        ),
    ],
    ids=["unknown-start", "same-entity", "too-far"],
)
async def test_each_path_outcome_is_its_own_type(
    seeded: GraphStore, client: httpx.AsyncClient, ends: str, expected: dict[str, object]
) -> None:
    body = await graphql(
        client,
        f"""{{ path({ends}) {{ __typename
      ... on EntityNotFound {{ id }} ... on NoPath {{ message }}
      ... on Path {{ length entities {{ id }} }} }} }}""",
    )
    assert data(body)["path"] == expected


async def test_a_page_larger_than_the_cap_is_refused_with_a_code(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, '{ search(text: "Kim", first: 100000) { id } }')
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first must be between 1 and 100" in error["message"]


async def test_articles_list_the_seed_with_its_metadata(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, "{ articles { id title source published contentSha256 } }")
    [article] = data(body)["articles"]
    assert article["id"] == SEED_ID
    assert article["source"] == "The Moscow Times"
    assert article["published"] == "2024-11-19T11:30:20"


async def test_nested_lists_cost_a_bounded_number_of_round_trips(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    query = """{ search(text: "North Korea Russia Kim Putin Kozlov", first: 20) {
      id relations { type subject { id relations { key object { name } } } object { id } } } }"""
    app_store: GraphStore = client._transport.app.state.store  # type: ignore[attr-defined]
    before = app_store.statements
    answer = data(await graphql(client, query))
    used = app_store.statements - before
    entities = len(answer["search"])
    assert entities >= 5
    # search + relations of the results + relations of their subjects: 3, not one per entity.
    assert used <= 3, used


async def test_health_reports_neo4j_reachable(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["neo4j"] == "reachable"


async def test_graphiql_is_served_at_graphql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_health_is_503_and_queries_say_service_unavailable_without_neo4j(
    settings: Settings,
) -> None:
    # A real driver pointed at a port where nothing listens: the failure is genuine.
    nowhere = settings.model_copy(update={"neo4j_uri": "bolt://127.0.0.1:9", "neo4j_retry_s": 1.0})
    application = create_app(nowhere)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://kg.test") as http:
            health = await http.get("/health")
            body = await graphql(http, '{ entity(id: "kim-jong-un") { name } }')
    assert health.status_code == 503
    assert health.json()["neo4j"] == "unreachable"
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "bolt://" not in error["message"]


async def test_answers_are_the_bytes_json_dumps_would_write(
    seeded: GraphStore, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": '{ entity(id: "kim-jong-un") { name aliases relations { date quantity '
            "confidence evidence { text start } } } }"
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["entity"]["relations"]
    expected = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert response.content == expected.encode()


def test_an_answer_orjson_refuses_is_encoded_by_the_standard_library(settings: Settings) -> None:
    router = KgGraphQL(build_schema(settings))
    answer = {"data": {"ingest": {"annotation": {"big": 2**70}}}}
    assert json.loads(router.encode_json(answer)) == answer
