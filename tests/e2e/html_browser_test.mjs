// The HTML report in a real browser: runs `pyrace run --format html` on a program,
// opens the page in Debian's headless Chromium (driven by playwright-core, no browser
// download) and checks what a person looks at: the page loads without console or page
// errors and without a single request, the graph SVG holds the locks under the
// program's names with the cycle's edges highlighted, the timeline and the stacks are
// there. Keeps a screenshot next to the report (its path is printed).
//
//   node html_browser_test.mjs --bin pyrace --program prog.py --work DIR --npm third_party/npm
//        --locks A,B,C --cycle-edges N --graph "Lock-order graph" [--expect-kind deadlock]
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  return out;
}

const a = args();
const problems = [];
const fail = (msg) => problems.push(msg);

const chromiumPath = a.chromium || "/usr/bin/chromium";
if (!fs.existsSync(chromiumPath)) {
  // CI installs it (scripts/setup.sh): a missing browser is a broken setup, not a pass.
  console.log(`FAIL: ${chromiumPath} is missing: install Debian's chromium (scripts/setup.sh)`);
  process.exit(1);
}
const require = createRequire(path.join(path.resolve(a.npm), "package.json"));
let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch (e) {
  console.log(`FAIL: playwright-core is not installed under ${a.npm} (scripts/setup.sh): ${e.message}`);
  process.exit(1);
}

fs.mkdirSync(a.work, { recursive: true });
const name = path.basename(a.program, ".py");
const report = path.join(path.resolve(a.work), `${name}.html`);
fs.rmSync(report, { force: true });
const run = spawnSync(a.bin, ["run", "--format", "html", "--output", report, a.program], {
  cwd: a.work,
  encoding: "utf-8",
  timeout: 240_000,
});
if (run.status !== 66) {
  console.log(`FAIL: pyrace run exited ${run.status} (${run.signal ?? "no signal"}): ${run.stderr.slice(-2000)}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // A container's root has no user namespace for Chromium's sandbox.
  args: ["--no-sandbox"],
  timeout: 60_000,
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") fail(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => fail(`page error: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
  const url = pathToFileURL(report).href;
  await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  // The page itself is the one request a load makes; anything else was fetched.
  const others = requests.filter((u) => u !== url);
  if (others.length) fail(`the page made requests: ${others.join(", ")}`);

  const kind = a["expect-kind"] || "lock-order-inversion";
  const finding = page.locator(`article.finding[data-kind="${kind}"]`).first();
  if ((await finding.count()) === 0) fail(`no ${kind} finding on the page`);
  const graph = finding.locator("figure.graph");
  const caption = await graph.locator("figcaption").textContent().catch(() => null);
  if (caption !== a.graph) fail(`graph caption ${JSON.stringify(caption)}, expected ${JSON.stringify(a.graph)}`);
  const svg = graph.locator("svg.lockgraph");
  const box = await svg.boundingBox();
  if (!box || box.width < 100 || box.height < 100) fail(`the graph is not drawn: ${JSON.stringify(box)}`);

  // Each lock is a node labelled with the program's name for it.
  const nodes = await svg.locator("g.node.lock").evaluateAll((gs) =>
    gs.map((g) => ({ id: g.dataset.id, name: g.querySelector("text.nname").textContent })));
  const names = nodes.map((n) => n.name);
  for (const lock of a.locks.split(",")) {
    if (!names.includes(lock)) fail(`lock ${lock} is not a node of the graph: ${JSON.stringify(names)}`);
  }
  // The cycle: that many highlighted edges, drawn in the highlight colour, closing a
  // loop through the lock nodes.
  const edges = await svg.locator("g.edge.cycle").evaluateAll((gs) =>
    gs.map((g) => ({
      from: g.dataset.from,
      to: g.dataset.to,
      label: g.querySelector("text.elabel").textContent,
      stroke: getComputedStyle(g.querySelector("path")).stroke,
      width: g.querySelector("path").getBBox().width + g.querySelector("path").getBBox().height,
    })));
  const wanted = Number(a["cycle-edges"]);
  if (edges.length !== wanted) fail(`${edges.length} highlighted edges, expected ${wanted}: ${JSON.stringify(edges)}`);
  for (const e of edges) {
    if (e.stroke !== "rgb(209, 36, 47)") fail(`cycle edge ${e.from}->${e.to} is not highlighted: ${e.stroke}`);
    if (!(e.width > 10)) fail(`cycle edge ${e.from}->${e.to} is not drawn`);
    if (!/ [^ ]+\.py:\d+$/.test(e.label)) fail(`cycle edge ${e.from}->${e.to} label ${JSON.stringify(e.label)}`);
  }
  const next = new Map(edges.map((e) => [e.from, e.to]));
  if (edges.length) {
    let at = edges[0].from;
    const seen = new Set();
    while (!seen.has(at) && next.has(at)) {
      seen.add(at);
      at = next.get(at);
    }
    if (at !== edges[0].from) fail(`the highlighted edges do not close a cycle: ${JSON.stringify(edges)}`);
  }

  // The timeline: a hold bar per row with a size on screen.
  const holds = await finding.locator("svg.holds rect.hold").count();
  if (holds < 2) fail(`the timeline has ${holds} holds`);
  // Readable: no hold is a sliver, also where the threads run one after another and the
  // coarse clock gives their holds one instant.
  const widths = await finding.locator("svg.holds rect.hold").evaluateAll((rs) => rs.map((r) => r.getBBox().width));
  const narrowest = Math.min(...widths);
  if (!(narrowest >= 8)) fail(`the narrowest hold bar is ${narrowest}px wide: ${JSON.stringify(widths)}`);
  const breaks = await finding.locator("svg.holds g.break").count();
  // The stacks with the program's frames and their source lines.
  const stacks = await finding.locator("section.stack").count();
  const excerpts = await finding.locator("section.stack pre.src mark").count();
  const program = path.basename(a.program);
  const frames = await finding.locator("section.stack .loc").evaluateAll(
    (ls, base) => ls.filter((l) => new RegExp(`/${base.replace(".", "\\.")}:\\d+$`).test(l.textContent)).length,
    program);
  if (stacks < 2 || frames < 2 || excerpts < 2) {
    fail(`stacks missing: ${stacks} stacks, ${frames} frames of ${program}, ${excerpts} source excerpts`);
  }

  const shot = path.join(path.resolve(a.work), `${name}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  console.log(`report: ${report}`);
  console.log(`locks: ${JSON.stringify(nodes)}`);
  console.log(`timeline: ${holds} holds, ${breaks} breaks, bars ${JSON.stringify(widths.map((w) => Math.round(w)))} px`);
  console.log(`cycle edges: ${JSON.stringify(edges.map((e) => `${e.from}->${e.to} (${e.label})`))}`);
} finally {
  await browser.close();
}

for (const p of problems) console.log("FAIL:", p);
console.log(problems.length ? "FAIL" : "PASS");
process.exit(problems.length ? 1 : 0);
