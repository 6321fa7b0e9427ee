// The radiologist's worklist, sorted by what is due first, with SLA badges.
import { call } from "./lib/api.js";
import { due, slaBadge } from "./lib/badges.js";
import { $, el, say } from "./lib/dom.js";
import { signOut, signedIn } from "./lib/staff.js";

async function load(staff) {
  try {
    const items = await call("GET", "/worklist", { token: staff.token });
    items.sort((a, b) => new Date(a.due_at) - new Date(b.due_at));
    $("#worklist tbody").replaceChildren(
      ...items.map((item) =>
        el(
          "tr",
          { "data-assignment": item.assignment_id },
          el("td", {}, el("a", { href: `/staff/assignment.html#${item.assignment_id}` }, item.case_id.slice(0, 8))),
          el("td", {}, item.subspecialty.replace(/_/g, " ")),
          el("td", {}, item.tier),
          el("td", {}, item.status),
          el("td", {}, due(item.due_at)),
          el("td", {}, slaBadge(item.sla)),
        ),
      ),
    );
    $("#worklist").hidden = false;
    say($("#notice"), items.length ? "" : "Nothing is waiting for you.");
  } catch (error) {
    say($("#notice"), error.message, "error");
  }
}

const staff = await signedIn($("#slot"));
$("#sign-out").hidden = false;
$("#sign-out").addEventListener("click", signOut);
if (!staff.groups.includes("radiologists")) {
  say($("#notice"), "This worklist is for radiologists. Operations staff: see the operations page.");
} else {
  await load(staff);
  setInterval(() => load(staff), 15000);
}
