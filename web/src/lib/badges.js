// SLA badges: the text says the status, the colour only repeats it.
import { el, remaining } from "./dom.js";

const LABELS = { on_track: "On track", at_risk: "At risk", breached: "Breached", met: "Met", not_started: "Not started" };

export function slaBadge(sla) {
  return el("span", { class: `badge sla-${sla}` }, LABELS[sla] ?? sla);
}

export function due(iso) {
  return iso ? el("time", { datetime: iso, title: new Date(iso).toLocaleString() }, remaining(iso)) : "";
}
