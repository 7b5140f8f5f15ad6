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
