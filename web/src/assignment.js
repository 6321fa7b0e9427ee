// One assignment: the patient's request, the original report, the images in the viewer, accept or
// decline the offer, and the structured report form with the readability score as one types.
import { call } from "./lib/api.js";
import { due } from "./lib/badges.js";
import { $, el, say } from "./lib/dom.js";
import { signedIn } from "./lib/staff.js";
import { viewer } from "./lib/viewer.js";

const assignmentId = decodeURIComponent(location.hash.slice(1));
const HEARTBEAT_MAX_MS = 60000;
let staff;
let view;
let images;
let heartbeats;

const api = (method, path, body) => call(method, path, { token: staff.token, body });

function showRequest() {
  $("#a-status").textContent = view.status;
  $("#a-due").replaceChildren(due(view.due_at));
  $("#a-tier").textContent = view.tier;
  $("#a-language").textContent = view.language;
  $("#a-symptoms").textContent = view.symptoms || "None given.";
  $("#a-history").textContent = view.clinical_history || "None given.";
  $("#a-questions").replaceChildren(...view.questions.map((q) => el("li", {}, q)));
  const documents = view.files.filter((f) => f.content === "report" || f.content === "document");
  $("#a-documents").replaceChildren(
    ...(documents.length
      ? documents.map((f) => el("li", {}, el("a", { href: f.url, target: "_blank", rel: "noopener noreferrer" }, `${f.content}: ${f.name}`)))
      : [el("li", {}, "The patient uploaded no report.")]),
  );
  $("#offer-actions").hidden = view.status !== "offered";
  $("#report-section").hidden = view.status !== "accepted";
  $("#translation-section").hidden = view.status !== "translation";
}

function seriesOf() {
  const groups = new Map();
  for (const file of view.files.filter((f) => f.content === "image" || f.content === "secondary")) {
    const key = file.series_instance_uid ?? file.file_id;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(file);
  }
  const described = new Map();
  for (const study of view.studies) {
    for (const series of study.series) described.set(series.series_instance_uid, { study, series });
  }
  return [...groups.entries()].map(([uid, files]) => {
    const found = described.get(uid);
    const label = found
      ? `${found.series.modality ?? ""} ${found.series.description ?? found.study.description ?? ""} (${files.length})`
      : `${files[0].name} (${files.length})`;
    return { uid, label: label.trim(), urls: files.map((f) => f.url) };
  });
}

async function showImages() {
  const series = seriesOf();
  $("#images").hidden = series.length === 0;
  if (!series.length) return;
  images ??= viewer($("#layerGroup0"));
  $("#series").replaceChildren(...series.map((s, i) => el("option", { value: String(i) }, s.label)));
  const open = async (i) => {
    await images.show(series[i].urls);
    $("#preset").replaceChildren(...images.presets().map((name) => el("option", { value: name }, name)));
    position();
  };
  $("#series").onchange = (e) => open(Number(e.target.value));
  $("#preset").onchange = (e) => images.preset(e.target.value);
  $("#previous").onclick = () => (images.step(-1), position());
  $("#next").onclick = () => (images.step(1), position());
  $("#layerGroup0").addEventListener("wheel", () => setTimeout(position));
  await open(0);
}

function position() {
  const at = images?.position();
  $("#position").textContent = at ? `Image ${at.index + 1} of ${at.count}` : "";
}

function reportForm() {
  $("#written-in").value = view.language;
  const hint = () => {
    $("#written-in-hint").textContent =
      $("#written-in").value === view.language
        ? "The patient reads this language: the report goes out as you write it."
        : `The patient reads ${view.language}: a radiologist who reads both languages translates and signs off the report first.`;
  };
  $("#written-in").onchange = hint;
  hint();
  $("#answers").replaceChildren(
    ...view.questions.map((q, i) =>
      el("div", {}, el("label", { for: `answer-${i}` }, `Answer to: ${q}`), el("textarea", { id: `answer-${i}`, rows: "2", required: true, class: "answer" })),
    ),
  );
  const priors = view.longitudinal ? view.studies.filter((s) => !s.current) : [];
  $("#comparisons").replaceChildren(
    ...priors.map((study, i) =>
      el(
        "fieldset",
        { class: "comparison", "data-study": study.study_instance_uid },
        el("legend", {}, `Compared with the study of ${study.study_date ?? "unknown date"}: ${study.description ?? ""}`),
        el("label", { for: `change-${i}` }, "Change"),
        el(
          "select",
          { id: `change-${i}`, class: "change" },
          ["new", "stable", "improved", "worse"].map((c) => el("option", { value: c }, c)),
        ),
        el("label", { for: `note-${i}` }, "Note"),
        el("textarea", { id: `note-${i}`, rows: "2", class: "note" }),
      ),
    ),
  );
  const watch = (selector, target, text) => {
    let timer;
    for (const node of document.querySelectorAll(selector)) {
      node.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => score(text(), target), 400);
      });
    }
  };
  watch("#summary", $("#summary-score"), () => $("#summary").value);
  watch(".answer", $("#answers-score"), () => [...document.querySelectorAll(".answer")].map((a) => a.value).join(" "));
  $("#report").addEventListener("submit", submit);
}

async function score(text, target) {
  if (!text.trim()) {
    target.textContent = "";
    return;
  }
  try {
    const language = view.translation ? view.translation.target_language : $("#written-in").value;
    const result = await api("POST", "/readability", { language, text });
    const wanted = `${result.higher_is_better ? "at least" : "at most"} ${result.target}`;
    target.dataset.passes = String(result.passes);
    target.textContent = `Readability (${result.formula.replace(/_/g, " ")}): ${result.value} — ${wanted} wanted. ${
      result.passes ? "Easy enough." : `Hardest: ${result.hardest_sentences.map((s) => `“${s}”`).join(" ")}`
    }`;
  } catch (error) {
    target.textContent = `The score is not available: ${error.message}`;
  }
}

// A translation task: the reading as written, beside a field for each text the patient reads
// (prefilled with the machine's draft when there is one). The grades stay the radiologist's.
function translationForm() {
  const task = view.translation;
  const draft = task.draft ?? {};
  $("#translation-explain").textContent =
    `Written in ${task.source_language}; the patient reads ${task.target_language}. ` +
    (task.draft ? "Check and correct the machine's draft, then sign it off." : "Write the translation, then sign it off.");
  const field = (id, label, original, value, rows = 3) =>
    el(
      "div",
      { class: "translate" },
      el("label", { for: id }, label),
      el("p", { class: "hint prose" }, `Original: ${original}`),
      el("textarea", { id, rows: String(rows), required: true, class: "translated" }, value ?? ""),
    );
  const original = task.original;
  $("#translation-fields").replaceChildren(
    field("t-findings", "Findings", original.findings, draft.findings, 5),
    field("t-impression", "Impression", original.impression, draft.impression),
    field("t-summary", "Summary in plain words", original.summary, draft.summary),
    ...original.answers.map((a, i) => field(`t-answer-${i}`, `Answer to: ${a.question}`, a.answer, draft.answers?.[i]?.answer)),
    field("t-radpeer", "Where and why the reading agrees or differs", original.radpeer_reasoning, draft.radpeer_reasoning),
    ...original.recommendations.map((r, i) => field(`t-rec-${i}`, `Recommendation ${i + 1}`, r, draft.recommendations?.[i])),
    ...original.comparisons.map((c, i) =>
      field(`t-note-${i}`, `Comparison note ${i + 1}`, c.note || "(none)", draft.comparison_notes?.[i]?.note),
    ),
  );
  let timer;
  $("#translation-fields").addEventListener("input", () => {
    clearTimeout(timer);
    const text = [$("#t-summary").value, ...original.answers.map((_, i) => $(`#t-answer-${i}`).value)].join(" ");
    timer = setTimeout(() => score(text, $("#translation-score")), 400);
  });
  $("#translation").addEventListener("submit", async (event) => {
    event.preventDefault();
    const signoff = {
      findings: $("#t-findings").value,
      impression: $("#t-impression").value,
      summary: $("#t-summary").value,
      answers: original.answers.map((a, i) => ({ question: a.question, answer: $(`#t-answer-${i}`).value })),
      radpeer_reasoning: $("#t-radpeer").value,
      recommendations: original.recommendations.map((_, i) => $(`#t-rec-${i}`).value),
      comparison_notes: original.comparisons.map((c, i) => ({ study_instance_uid: c.study_instance_uid, note: $(`#t-note-${i}`).value })),
      confirm_readability: $("#translation-confirm").checked,
    };
    try {
      await api("POST", `/assignments/${assignmentId}/translation`, signoff);
      clearInterval(heartbeats);
      $("#translation-section").hidden = true;
      say($("#notice"), "Translation signed off: the report goes to the patient.");
    } catch (error) {
      if (error.code === "hard_to_read") $("#translation-confirm-box").hidden = false;
      say($("#notice"), error.message, "error");
    }
  });
}

function lines(selector) {
  return $(selector).value.split("\n").map((l) => l.trim()).filter(Boolean);
}

async function submit(event) {
  event.preventDefault();
  const submission = {
    language: $("#written-in").value,
    findings: $("#findings").value,
    impression: $("#impression").value,
    summary: $("#summary").value,
    answers: view.questions.map((question, i) => ({ question, answer: $(`#answer-${i}`).value })),
    radpeer: $("#radpeer").value,
    radpeer_reasoning: $("#radpeer-reasoning").value,
    recommendations: lines("#recommendations"),
    critical_finding: $("#critical").checked,
    comparisons: [...document.querySelectorAll(".comparison")].map((node) => ({
      study_instance_uid: node.dataset.study,
      change: node.querySelector(".change").value,
      note: node.querySelector(".note").value,
    })),
    confirm_readability: $("#confirm-readability").checked,
  };
  try {
    await api("POST", `/assignments/${assignmentId}/report`, submission);
    clearInterval(heartbeats);
    $("#report-section").hidden = true;
    $("#a-status").textContent = "reported";
    say($("#notice"), "Report submitted. Thank you: the case has left your worklist.");
  } catch (error) {
    if (error.code === "hard_to_read") $("#confirm-box").hidden = false;
    say($("#notice"), error.message, "error");
  }
}

async function load() {
  view = await api("GET", `/assignments/${assignmentId}`);
  $("#work").hidden = false;
  showRequest();
}

// The page beats while the read is open: four times within the workflow's heartbeat window (so a
// lost beat or two is harmless), at most once a minute.
function startHeartbeats() {
  clearInterval(heartbeats);
  const windowMs = (view.heartbeat_seconds ?? 240) * 1000;
  const every = Math.max(1000, Math.min(HEARTBEAT_MAX_MS, windowMs / 4));
  heartbeats = setInterval(() => api("POST", `/assignments/${assignmentId}/heartbeat`).catch(() => {}), every);
}

async function act(path, body) {
  try {
    await api("POST", `/assignments/${assignmentId}/${path}`, body);
    await load();
    if (view.status === "accepted") {
      reportForm();
      startHeartbeats();
    }
  } catch (error) {
    say($("#notice"), error.message, "error");
  }
}

staff = await signedIn($("#slot"));
try {
  await load();
  $("#accept").addEventListener("click", () => act("accept"));
  $("#decline").addEventListener("click", () => act("decline", { reason: $("#decline-reason").value || "Not available" }));
  if (view.status === "accepted") {
    reportForm();
    startHeartbeats(); // a reloaded page keeps the read alive too
  }
  if (view.status === "translation") translationForm();
  await showImages();
} catch (error) {
  say($("#notice"), error.message, "error");
}
