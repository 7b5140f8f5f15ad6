// Queries worth running in Neo4j Browser (http://127.0.0.1:7474/browser/, user neo4j).
// Load the style first: run `:style`, then drag schema/kg.grass onto the style panel.
// Each query ends with `;`: paste one at a time, or enable multi-statement mode in Browser.
// The article id below is the seed article's (data/articles/000_9e847efd11a92494.txt).

// 1. The seed article's facts as a graph: every relation it is a source of, no sentences.
MATCH (s:Entity)-[r]->(o:Entity)
WHERE "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang" IN r.sources
RETURN s, r, o;

// 2. Kim Jong Un's neighbourhood: entities up to two relations away (sentences left out).
MATCH p = (:Person {id: "kim-jong-un"})-[*1..2]-(:Entity)
WHERE all(n IN nodes(p) WHERE n:Entity)
RETURN p;

// 3. What is alleged or speculated, by whom, and the sentence that says so (a table).
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.status IN ["alleged", "speculated"]
RETURN type(r) AS relation, s.name AS subject, o.name AS object, r.status AS status,
       COLLECT { MATCH (x:Entity) WHERE x.id IN r.attributed_to RETURN x.name } AS according_to,
       r.quantity_qualifier AS qualifier, r.quantity AS quantity, r.claim AS claim,
       r.evidence_texts AS evidence
ORDER BY relation, subject;

// 4. How Vladimir Putin is connected to Alexander Kozlov: the shortest path over relations,
//    with each hop's first supporting sentence (graph view plus the `hops` column in Table).
MATCH p = shortestPath((:Person {id: "vladimir-putin"})-[*..4]-(:Person {id: "alexander-kozlov"}))
WHERE all(n IN nodes(p) WHERE n:Entity)
RETURN p,
       [r IN relationships(p) |
        startNode(r).name + " " + type(r) + " " + endNode(r).name + ": " + r.evidence_texts[0]] AS hops;

// 5. The article's sentences (publisher's appeal left out) and the entities each mentions.
MATCH (:Article {id: "2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang"})
      -[:HAS_SENTENCE]->(s:Sentence)
WHERE NOT s.boilerplate
OPTIONAL MATCH (s)-[:MENTIONS]->(e:Entity)
WITH s, e ORDER BY e.name
RETURN s.index AS index, s.start AS start, s.end AS end, s.text AS sentence,
       collect(e.name) AS mentions
ORDER BY index;

// ---------------------------------------------------------------------------------------
// The ten questions of the foundation issue, in Cypher (tables: switch the frame to Table).
// Places and attributions are stored on the relation as entity ids (r.place,
// r.attributed_to); the queries look their names up. Each evidence text is a verbatim
// sentence of the article, at r.evidence_starts/ends (character offsets).

// Q1. Who met Kim Jong Un: when, where, according to whom.
MATCH (k:Person {id: "kim-jong-un"})-[r:MET_WITH]-(other:Entity)
OPTIONAL MATCH (place:Entity {id: r.place})
RETURN other.name AS met, r.date AS date, r.date_text AS date_text, place.name AS place,
       r.status AS status,
       COLLECT { MATCH (x:Entity) WHERE x.id IN r.attributed_to RETURN x.name } AS according_to,
       r.evidence_texts AS evidence;

// Q2. What Alexander Kozlov heads, and of which country.
MATCH (:Person {id: "alexander-kozlov"})-[r:HEADS]->(body:Entity)
OPTIONAL MATCH (body)-[:PART_OF]->(country:Country)
RETURN body.name AS heads, [l IN labels(body) WHERE l <> "Entity"][0] AS kind, r.role AS role, country.name AS of_country,
       r.evidence_texts AS evidence;

// Q3. Who signed the treaty, and when.
MATCH (signer:Entity)-[r:SIGNED]->(t:Treaty)
RETURN t.name AS treaty, signer.name AS signed_by, r.date AS date, r.date_text AS date_text,
       r.status AS status, r.evidence_texts AS evidence
ORDER BY signed_by;

// Q4. Who ratified it.
MATCH (by:Entity)-[r:RATIFIED]->(t:Treaty)
RETURN t.name AS treaty, by.name AS ratified_by, r.date AS date, r.date_text AS date_text,
       r.status AS status, r.evidence_texts AS evidence
ORDER BY ratified_by;

// Q5. Who accuses North Korea, of what.
MATCH (accuser:Entity)-[r:ACCUSED]->(:Country {id: "north-korea"})
RETURN accuser.name AS accuser, r.claim AS of, r.status AS status, r.evidence_texts AS evidence
ORDER BY accuser;

// Q6. Which deployment is alleged: by whom, how many, where, according to whom.
MATCH (s:Entity)-[r:DEPLOYED_TROOPS_TO]->(o:Entity)
OPTIONAL MATCH (place:Entity {id: r.place})
RETURN s.name AS deployed_by, o.name AS deployed_to, place.name AS place,
       r.quantity_qualifier AS qualifier, r.quantity AS size, r.status AS status,
       COLLECT { MATCH (x:Entity) WHERE x.id IN r.attributed_to RETURN x.name } AS alleged_by,
       r.evidence_texts AS evidence;

// Q7. What North Korea test-fired.
MATCH (:Country {id: "north-korea"})-[r:TESTED]->(w:Entity)
RETURN w.name AS tested, r.date AS date, r.date_text AS date_text, r.status AS status,
       r.evidence_texts AS evidence
ORDER BY tested;

// Q8. How Vladimir Putin connects to Alexander Kozlov: the shortest path over entities,
//     hop by hop (query 4 above draws it as a graph).
MATCH p = shortestPath((:Person {id: "vladimir-putin"})-[*..4]-(:Person {id: "alexander-kozlov"}))
WHERE all(n IN nodes(p) WHERE n:Entity)
UNWIND range(0, length(p) - 1) AS i
WITH i, relationships(p)[i] AS r
RETURN i + 1 AS hop, startNode(r).name AS subject, type(r) AS relation, endNode(r).name AS object,
       r.evidence_texts[0] AS evidence
ORDER BY hop;

// Q9. Which facts are alleged or speculated (query 3 above adds quantities and claims).
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.status IN ["alleged", "speculated"]
RETURN r.status AS status, s.name AS subject, type(r) AS relation, o.name AS object,
       COLLECT { MATCH (x:Entity) WHERE x.id IN r.attributed_to RETURN x.name } AS according_to
ORDER BY status, relation;

// Q10. The sentence that supports each answer: every relation with its evidence sentences,
//      their place in the article (sentence index, character offsets) and the article.
MATCH (s:Entity)-[r]->(o:Entity)
UNWIND range(0, size(r.evidence_texts) - 1) AS i
RETURN s.name AS subject, type(r) AS relation, o.name AS object,
       r.evidence_articles[i] AS article, r.evidence_sentences[i] AS sentence_index,
       r.evidence_starts[i] AS start, r.evidence_ends[i] AS end, r.evidence_texts[i] AS sentence
ORDER BY relation, subject, object, sentence_index;
