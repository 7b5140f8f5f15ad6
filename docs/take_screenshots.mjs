// Drives headless Chromium (Debian's /usr/bin/chromium) through Neo4j Browser with
// playwright-core and saves the README screenshots. Run it through docs/take_screenshots.sh,
// which starts a dedicated Neo4j, loads the seed and installs playwright-core outside the repo.
//
// Environment (all set by take_screenshots.sh):
//   KG_SHOTS_NODE_DIR   folder whose node_modules holds playwright-core
//   KG_SHOTS_BROWSER    Browser URL, e.g. http://127.0.0.1:17971/browser/
//   KG_SHOTS_BOLT       Bolt address, e.g. 127.0.0.1:17970
//   KG_SHOTS_PASSWORD   the neo4j user's password
//   KG_SHOTS_GRASS      the style file (schema/kg.grass)
//   KG_SHOTS_OUT        where the PNGs go (docs/screenshots)
//   CHROMIUM            the Chromium binary (default /usr/bin/chromium)
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const nodeDir = env('KG_SHOTS_NODE_DIR');
const browserUrl = env('KG_SHOTS_BROWSER');
const bolt = env('KG_SHOTS_BOLT');
const password = env('KG_SHOTS_PASSWORD');
const grassFile = env('KG_SHOTS_GRASS');
const grass = readFileSync(grassFile, 'utf8');
const out = env('KG_SHOTS_OUT');
const chromiumPath = env('CHROMIUM', '/usr/bin/chromium');
mkdirSync(out, { recursive: true });

const { chromium } = createRequire(join(nodeDir, 'package.json'))('playwright-core');

const ARTICLE = '2024-11-19-kim-jong-un-meets-with-russias-natural-resources-minister-in-pyongyang';
// The queries of docs/browser-queries.cypher that the README shows as pictures.
const SHOTS = [
  {
    file: 'seed-article-graph.png',
    overview: false, // 20 nodes: the canvas needs the whole width
    query: `MATCH (s:Entity)-[r]->(o:Entity) WHERE "${ARTICLE}" IN r.sources RETURN s, r, o`,
  },
  {
    file: 'kim-jong-un-neighbourhood.png',
    overview: false, // 17 nodes: the canvas needs the whole width
    query:
      'MATCH p = (:Person {id: "kim-jong-un"})-[*1..2]-(:Entity) ' +
      'WHERE all(n IN nodes(p) WHERE n:Entity) RETURN p',
  },
  {
    file: 'treaty.png',
    query:
      'MATCH (e:Entity)-[r:SIGNED|RATIFIED|PARTY_TO]->(t:Treaty) RETURN e, r, t',
  },
  {
    file: 'putin-kozlov-path.png',
    query:
      'MATCH p = shortestPath((:Person {id: "vladimir-putin"})-[*..4]-(:Person {id: "alexander-kozlov"})) ' +
      'WHERE all(n IN nodes(p) WHERE n:Entity) RETURN p',
  },
];

// Neo4j Browser 5.24 substitutes `<type>` only when it is the whole caption
// (`caption: '<type>'`); in `caption: '<type> {date}'` it would print "<type>" verbatim.
// Inside a `relationship.TYPE` rule the type is known, so spell it out there.
function browserGrass(text) {
  let expanded = 0;
  const result = text.replace(
    /(relationship\.([A-Z0-9_]+)\s*\{[^}]*?caption:\s*')([^']*)'/g,
    (whole, head, type, caption) => {
      if (caption === '<type>' || !caption.includes('<type>')) return whole;
      expanded += 1;
      return `${head}${caption.replaceAll('<type>', type)}'`;
    },
  );
  if (expanded > 0) {
    console.warn(
      `${grassFile}: ${expanded} relationship captions mix <type> with other text, which ` +
        'Neo4j Browser shows verbatim; applied them with the type spelled out instead',
    );
  }
  return result;
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1500, height: 900 }, deviceScaleFactor: 1.5 });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(browserUrl).origin });
  const page = await context.newPage();

  // Types a command into the main editor by pasting it (typing would trigger Monaco's
  // auto-closing of quotes and brackets) and runs it.
  const run = async (command) => {
    const editor = page.getByTestId('activeEditor');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.evaluate((text) => navigator.clipboard.writeText(text), command);
    await page.keyboard.press('Control+V');
    await page.getByTestId('editor-Run').click();
  };

  await page.goto(`${browserUrl}?connectURL=${encodeURIComponent(`neo4j://neo4j@${bolt}`)}`);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('connect').click();
  await page.getByText('You are connected as user').waitFor({ timeout: 30000 });

  // `:style <grass>` replaces Browser's graph style with everything after `:style` (the
  // same as dropping the file on the style frame); flattened to one line only for tidiness.
  await run(`:style ${browserGrass(grass).replace(/\s*\n\s*/g, ' ')}`);
  await page.waitForTimeout(1000);
  // Show only the relationships a query returns: by default Browser also draws every other
  // relationship between the nodes it shows ("Connect result nodes").
  await run(':config autoComplete: false');
  await page.waitForTimeout(500);

  for (const shot of SHOTS) {
    await run(':clear');
    await page.waitForTimeout(500);
    await run(shot.query);
    const frame = page.getByTestId('frame').first();
    await frame.locator('svg g.node').first().waitFor({ timeout: 30000 });
    await frame.getByTitle('Fullscreen').click();
    // The Overview panel (labels with their colours) stays open unless the shot says not.
    const toggle = shot.overview === false ? 'Collapse' : 'Expand';
    const chevron = frame.getByTitle(`${toggle} the node properties display`);
    if ((await chevron.count()) > 0) await chevron.click();
    await page.waitForTimeout(8000); // let the force layout settle
    // Fit the graph to the frame, then step back while a node hides under the Overview
    // panel, which covers the right edge of the canvas (fitting does not know about it).
    await frame.getByLabel('zoom-to-fit').click();
    await page.waitForTimeout(1500);
    const inspector = frame.getByTestId('vizInspector');
    const panel = shot.overview === false || (await inspector.count()) === 0
      ? { x: Infinity, y: 0, height: 0 }
      : await inspector.boundingBox();
    for (let step = 0; step < 4; step += 1) {
      const boxes = await frame.locator('svg g.node').evaluateAll((nodes) =>
        nodes.map((node) => node.getBoundingClientRect()).map((r) => [r.left, r.right, r.top, r.bottom]),
      );
      const hidden = boxes.some(([, right, top, bottom]) =>
        right > panel.x && bottom > panel.y && top < panel.y + panel.height);
      if (!hidden) break;
      await frame.getByLabel('zoom-out').click();
      await page.waitForTimeout(800);
    }
    await page.screenshot({ path: join(out, shot.file) });
    await frame.getByTitle('Fullscreen').click(); // back to the stream
    console.log(`saved ${join(out, shot.file)}`);
  }
} finally {
  await browser.close();
}
