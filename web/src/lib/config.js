// The deployment's settings for the pages: written next to them by the CDK app (config.json in the
// portal bucket) or by `secondopinion local`. Nothing secret is in it.
let loaded;

export function config() {
  loaded ??= fetch(new URL("/config.json", location.origin), { cache: "no-store" }).then((r) => {
    if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
    return r.json();
  });
  return loaded;
}
