// Type-check Grafana dashboard JSON against @grafana/schema's Dashboard with tsc.
// Each dashboard becomes `export const d = (<json>) satisfies Dashboard;` in a fresh .build-*
// directory here (tsc resolves @grafana/schema from this node_modules), so tsc's
// excess-property and literal-type checks apply (importing the JSON would widen its strings).
// tsc's error positions are mapped back to the dashboard files.
//   node dashboards.mjs grafana/dashboards/*.json
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// One directory per run: concurrent runs (a pytest on a broken copy) do not collide.
const build = fs.mkdtempSync(path.join(here, ".build-"));

const files = [];
for (const [i, src] of process.argv.slice(2).entries()) {
  const json = fs.readFileSync(src, "utf8").trim();
  JSON.parse(json); // a JSON syntax error names the file before tsc sees it
  const ts = path.join(build, `dashboard${i}.ts`);
  // The source path in a comment lets a reader map tsc's errors back to the dashboard file.
  // Two lines before the JSON: tsc's line L is the dashboard's line L - 2.
  fs.writeFileSync(ts, `import type { Dashboard } from "@grafana/schema";\n` +
    `export const d = (\n${json}) satisfies Dashboard;\n`);
  files.push({ ts: path.basename(ts), src });
}
fs.writeFileSync(path.join(build, "tsconfig.json"), JSON.stringify({
  compilerOptions: {
    strict: true, noEmit: true, skipLibCheck: true, module: "nodenext", moduleResolution: "nodenext",
    types: [],
  },
  files: files.map((f) => f.ts),
}));
let failed = false;
try {
  execFileSync(path.join(here, "node_modules", ".bin", "tsc"), ["-p", build], { encoding: "utf8" });
} catch (e) {
  failed = true;
  let out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
  for (const { ts, src } of files) {
    const at = new RegExp(`[^\\s]*${ts.replace(".", "\\.")}\\((\\d+),(\\d+)\\)`, "g");
    out = out.replace(at, (_, line, col) => `${src}(${Number(line) - 2},${col})`);
  }
  process.stdout.write(out);
}
fs.rmSync(build, { recursive: true, force: true });
if (failed) {
  console.log("dashboards: tsc found errors (positions are line,column in the dashboard JSON)");
  process.exit(1);
}
console.log(`${files.length} dashboards satisfy @grafana/schema Dashboard`);
