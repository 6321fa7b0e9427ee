// Ops: every case by SLA status (breached first), its audit timeline and assignments, reassignment,
// and restarting a failed case.
import { call } from "./lib/api.js";
import { due, slaBadge } from "./lib/badges.js";
import { $, el, say } from "./lib/dom.js";
import { signedIn } from "./lib/staff.js";

const ORDER = ["breached", "at_risk", "on_track", "not_started", "met"];
const TITLES = { breached: "Breached", at_risk: "At risk", on_track: "On track", not_started: "Not started", met: "Done in time" };
let staff;
let selected = null;

const api = (method, path, body) => call(method, path, { token: staff.token, body });

async function board() {
  const status = $("#filter").value;
  const cases = await api("GET", `/ops/cases${status ? `?status=${status}` : ""}`);
  const groups = ORDER.map((sla) => [sla, cases.filter((c) => c.sla === sla)]).filter(([, list]) => list.length);
  $("#groups").replaceChildren(
    ...groups.map(([sla, list]) =>
      el(
        "section",
        { class: "group", "aria-labelledby": `group-${sla}` },
        el("h2", { id: `group-${sla}` }, `${TITLES[sla]} (${list.length})`),
        el(
          "table",
          {},
          el("thead", {}, el("tr", {}, ["Case", "Status", "Tier", "Deadline in", "SLA", "Alerts"].map((h) => el("th", { scope: "col" }, h)))),
          el(
            "tbody",
            {},
            list
              .sort((a, b) => new Date(a.deadline ?? 8.64e15) - new Date(b.deadline ?? 8.64e15))
              .map((c) =>
                el(
                  "tr",
                  { "data-case": c.case_id },
                  el("td", {}, el("button", { type: "button", class: "link", onclick: () => detail(c.case_id) }, c.case_id.slice(0, 8))),
                  el("td", {}, c.status),
                  el("td", {}, c.tier),
                  el("td", {}, due(c.deadline)),
                  el("td", {}, slaBadge(c.sla)),
                  el("td", {}, c.escalated ? `Escalated: ${c.alerts.join(", ")}` : c.alerts.join(", ")),
                ),
              ),
          ),
        ),
      ),
    ),
  );
  if (!groups.length) $("#groups").append(el("p", {}, "No cases."));
}

async function detail(caseId) {
  selected = caseId;
  const c = await api("GET", `/ops/cases/${caseId}`);
  $("#detail").hidden = false;
  $("#detail-heading").textContent = `Case ${caseId}`;
  const facts = [
    ["Status", c.status],
    ["Tier", c.tier],
    ["Subspecialty", c.subspecialty ?? "not known yet"],
    ["Submitted", c.submitted_at ? new Date(c.submitted_at).toLocaleString() : "not yet"],
    ["Deadline in", due(c.deadline)],
    ["SLA", slaBadge(c.sla)],
  ];
  $("#detail-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("#assignments tbody").replaceChildren(
    ...c.assignments.map((a) =>
      el(
        "tr",
        {},
        el("td", {}, String(a.attempt)),
        el("td", {}, a.radiologist_id),
        el("td", {}, a.status),
        el("td", {}, new Date(a.offered_at).toLocaleString()),
        el("td", {}, due(a.due_at)),
        el("td", {}, a.decline_reason ? `${a.reason}; ${a.status === "declined" ? "declined: " : ""}${a.decline_reason}` : a.reason),
      ),
    ),
  );
  $("#audit").replaceChildren(
    ...c.timeline.map((e) => el("li", {}, el("time", { datetime: e.at }, new Date(e.at).toLocaleString()), ` ${e.event} (${e.actor})`)),
  );
  $("#reassign").hidden = c.status !== "in_review";
  $("#restart").hidden = c.status !== "failed";
}

// An ops action on the selected case from its form: the call, what it did, the case and board again.
function onAction(form, action, body, done) {
  $(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await api("POST", `/ops/cases/${selected}/${action}`, body());
      say($("#notice"), done(answer));
      await detail(selected);
      await board();
    } catch (error) {
      say($("#notice"), error.message, "error");
    }
  });
}

staff = await signedIn($("#slot"));
if (!staff.groups.includes("ops")) {
  say($("#notice"), "This page is for operations staff.", "error");
} else {
  $("#board").hidden = false;
  $("#filter").addEventListener("change", board);
  onAction("#reassign", "reassign", () => ({ reason: $("#reassign-reason").value }), () =>
    "Reassigned: the case is offered to the next radiologist.",
  );
  onAction("#restart", "restart", () => undefined, (restarted) =>
    `Restarted: the review runs again (run ${restarted.run}).`,
  );
  await board();
  setInterval(board, 30000);
}
