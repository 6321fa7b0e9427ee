// Builds the static site into build/web: pages, styles, catalogues, and one bundle per page
// (esbuild resolves the npm libraries: Uppy for uploads, dwv for the DICOM viewer).
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "build", "web");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

cpSync(join(here, "pages"), out, { recursive: true });
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
