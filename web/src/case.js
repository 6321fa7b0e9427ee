// The case page: upload (with each file's verdict as validation answers), submit, then the status
// with the timeline and the deadline.
import { call } from "./lib/api.js";
import { $, el, remaining, say, when } from "./lib/dom.js";
import { has, language, start, t } from "./lib/i18n.js";
import { config } from "./lib/config.js";
import { caseIdFromLocation, recall, remember, takeFreshToken } from "./lib/patient.js";
import { uploader } from "./lib/uploader.js";

const caseId = caseIdFromLocation();
let token = caseId ? recall(caseId)?.token : null;
let view = null;
let uppy = null;
const rows = new Map(); // Uppy file id -> table row

function verdictText(file) {
  if (file.verdict === "pending") return t("verdict.checking");
  if (file.verdict === "rejected") {
    const key = `reason.${file.reason}`;
    return has(key) ? t(key) : file.message || t("verdict.rejected");
  }
  if (file.verdict === "skipped") return t("verdict.skipped");
  return t(`verdict.accepted.${file.content ?? "image"}`);
}

function byFileId() {
  return new Map((view?.files ?? []).map((f) => [f.file_id, f]));
}

function row(key, name) {
  let tr = rows.get(key);
  if (!tr) {
    tr = el(
      "tr",
      {},
      el("td", { class: "name" }, name),
      el("td", {}, el("progress", { max: "100", value: "0", "aria-label": t("upload.progress_of", { name }) })),
      el("td", { class: "result" }),
      el("td", { class: "actions" }),
    );
    rows.set(key, tr);
    $("#files tbody").append(tr);
  }
  return tr;
}

function showResult(tr, file) {
  const cell = tr.querySelector(".result");
  cell.textContent = verdictText(file);
  tr.dataset.verdict = file.verdict;
  tr.dataset.reason = file.reason ?? "";
  const actions = tr.querySelector(".actions");
  if (file.verdict === "rejected" && !actions.firstChild && isOpen()) {
    actions.append(el("button", { type: "button", class: "link", onclick: () => remove(file.file_id, tr) }, t("upload.remove")));
  }
}

async function remove(fileId, tr) {
  await call("DELETE", `/cases/${caseId}/files/${fileId}`, { token });
  tr.remove();
  await refresh();
}

function isOpen() {
  return view && (view.status === "awaiting_upload" || view.status === "returned");
}

function render() {
  const known = byFileId();
  const shown = new Set();
  for (const file of uppy?.getFiles() ?? []) {
    const tr = row(file.id, file.meta.relativePath || file.name);
    tr.querySelector("progress").value = file.progress?.percentage ?? 0;
    const judged = known.get(file.meta.fileId);
    if (judged) {
      showResult(tr, judged);
      shown.add(judged.file_id);
    } else if (file.error) {
      tr.querySelector(".result").textContent = t("upload.failed");
    } else {
      tr.querySelector(".result").textContent = file.progress?.uploadComplete ? t("verdict.checking") : t("upload.waiting");
    }
  }
  for (const file of view?.files ?? []) {
    if (shown.has(file.file_id)) continue;
    const tr = row(file.file_id, file.name);
    tr.querySelector("progress").value = file.verdict === "pending" ? 0 : 100;
    showResult(tr, file);
  }
  const people = view?.people ?? 0;
  $("#people").hidden = people < 2;
  $("#people-text").textContent = t("upload.people", { count: people });
  renderStatus();
}

function renderStatus() {
  if (!view) return;
  $("#upload").hidden = !isOpen();
  $("#erase-after").hidden = !view.erase_after;
  if (view.erase_after) $("#erase-after").textContent = t("upload.erase_after", { date: when(view.erase_after, language()) });
  $("#status").hidden = false;
  $("#state").textContent = t(`status.${view.status}`);
  $("#deadline").textContent = view.deadline
    ? `${when(view.deadline, language())} (${t("status.left", { left: remaining(view.deadline) })})`
    : t("status.no_deadline");
  $("#problems").replaceChildren(...view.problems.map((p) => el("li", {}, p)));
  $("#timeline").replaceChildren(
    ...view.timeline.map((entry) =>
      el("li", {}, el("time", { datetime: entry.at }, when(entry.at, language())), " ", t(`event.${entry.event}`)),
    ),
  );
  const link = $("#report-link");
  link.hidden = view.status !== "delivered";
  link.querySelector("a").href = `/report.html#${caseId}`;
}

async function refresh() {
  try {
    view = await call("GET", `/cases/${caseId}`, { token });
  } catch (error) {
    if (error.status === 401 || error.status === 404) {
      token = null;
      $("#sign-in").hidden = false;
      say($("#notice"), t("case.token.wrong"), "error");
      return;
    }
    say($("#notice"), t("error.api", { message: error.message }), "error");
    return;
  }
  render();
}

function pendingFiles() {
  const uploading = (uppy?.getFiles() ?? []).some((f) => !f.progress?.uploadComplete && !f.error);
  return uploading || (view?.files ?? []).some((f) => f.verdict === "pending");
}

async function poll() {
  await refresh();
  const delay = pendingFiles() ? 1500 : 10000;
  setTimeout(poll, delay);
}

async function submit() {
  const button = $("#submit");
  button.disabled = true;
  try {
    await call("POST", `/cases/${caseId}/submit`, {
      token,
      body: { confirm_different_people: $("#confirm-people").checked },
    });
    say($("#notice"), t("upload.submitted"), "info");
  } catch (error) {
    const key = `error.${error.code}`;
    say($("#notice"), has(key) ? `${t(key)} ${error.message}` : t("error.api", { message: error.message }), "error");
  } finally {
    button.disabled = false;
    await refresh();
  }
}

async function open() {
  const limits = (await config()).upload;
  uppy = uploader({
    caseId,
    token,
    limits,
    dropTarget: "#drop",
    kindOf: () => $("#kind").value,
  });
  const add = (input) => {
    for (const file of input.files) {
      try {
        uppy.addFile({ name: file.name, type: file.type, data: file, meta: { relativePath: file.webkitRelativePath || null } });
      } catch {
        // Uppy refuses a file it already has: the same file chosen twice is uploaded once.
      }
    }
    input.value = "";
  };
  $("#pick-files").addEventListener("change", (e) => add(e.target));
  $("#pick-folder").addEventListener("change", (e) => add(e.target));
  uppy.on("upload-progress", render);
  uppy.on("upload-success", render);
  uppy.on("upload-error", render);
  uppy.on("progress", (value) => ($("#overall").value = value));
  $("#submit").addEventListener("click", submit);
  document.body.dataset.ready = "true";
  await poll();
}

await start(() => render());
if (!caseId) {
  say($("#notice"), t("case.unknown"), "error");
} else {
  const fresh = takeFreshToken(caseId);
  if (fresh) {
    $("#token-box").hidden = false;
    $("#token-value").textContent = fresh;
  }
  if (token) {
    await open();
  } else {
    $("#sign-in").hidden = false;
    $("#sign-in").addEventListener("submit", async (event) => {
      event.preventDefault();
      token = $("#token-input").value.trim();
      remember(caseId, token, null);
      takeFreshToken(caseId);
      $("#sign-in").hidden = true;
      say($("#notice"), "");
      await open();
    });
  }
}
