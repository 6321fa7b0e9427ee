// Builds the static site into build/web: pages, styles, catalogues, and one bundle per page
// (esbuild resolves the npm libraries: Uppy for uploads, dwv for the DICOM viewer).
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "build", "web");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

cpSync(join(here, "pages"), out, { recursive: true });
// Pages share their header: `<!--#include name.html-->` is replaced by web/partials/name.html.
const include = /<!--#include ([\w.-]+)-->\n/g;
for (const page of readdirSync(out, { recursive: true }).filter((p) => p.endsWith(".html"))) {
  const path = join(out, page);
  writeFileSync(
    path,
    readFileSync(path, "utf8").replace(include, (_, name) => readFileSync(join(here, "partials", name), "utf8")),
  );
}
cpSync(join(here, "i18n"), join(out, "i18n"), { recursive: true });
cpSync(join(here, "style.css"), join(out, "assets", "style.css"));
// dwv decodes compressed transfer syntaxes in web workers it looks up next to its bundle.
cpSync(
  join(here, "..", "node_modules", "dwv", "dist", "assets", "workers"),
  join(out, "assets", "assets", "workers"),
  { recursive: true },
);

const entryPoints = readdirSync(join(here, "src"))
  .filter((name) => name.endsWith(".js"))
  .map((name) => join(here, "src", name));
await build({
  entryPoints,
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  outdir: join(out, "assets"),
  logLevel: "warning",
});
