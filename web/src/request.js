// The request form: validates what it can in the browser, opens the case, keeps its access token
// in this tab's session storage (never in a URL) and goes on to the upload page.
import { call } from "./lib/api.js";
import { $, say } from "./lib/dom.js";
import { start, t } from "./lib/i18n.js";
import { remember } from "./lib/patient.js";

const FIELD_ERRORS = ["region", "symptoms", "questions", "email", "consent"];

function showFieldError(field, text) {
  const slot = document.getElementById(`${field}-error`);
  if (!slot) return false;
  slot.textContent = text;
  slot.hidden = false;
  const input = $(`[name="${field}"]`);
  input?.setAttribute("aria-invalid", "true");
  return true;
}

function clearErrors() {
  say($("#errors"), "");
  for (const field of FIELD_ERRORS) {
    const slot = document.getElementById(`${field}-error`);
    slot.hidden = true;
    $(`[name="${field}"]`)?.removeAttribute("aria-invalid");
  }
}

function read(form) {
  const data = new FormData(form);
  return {
    tier: data.get("tier"),
    consensus: data.get("consensus") === "on",
    longitudinal: data.get("longitudinal") === "on",
    language: data.get("language"),
    region: String(data.get("region")).trim().toUpperCase(),
    email: String(data.get("email")).trim(),
    symptoms: String(data.get("symptoms")).trim(),
    questions: String(data.get("questions"))
      .split("\n")
      .map((q) => q.trim())
      .filter(Boolean),
    clinical_history: String(data.get("clinical_history")).trim(),
    consent: data.get("consent") === "on",
  };
}

function problems(request) {
  const found = [];
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(request.email)) found.push(["email", t("error.email")]);
  if (!request.consent) found.push(["consent", t("error.consent")]);
  if (request.questions.length > 10) found.push(["questions", t("error.questions")]);
  if (!/^[A-Z]{2}(-[A-Z]{2})?$/.test(request.region)) found.push(["region", t("error.region")]);
  return found;
}

let idempotencyKey = crypto.randomUUID();

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const form = event.target;
  const request = read(form);
  const found = problems(request);
  if (found.length) {
    for (const [field, text] of found) showFieldError(field, text);
    say($("#errors"), t("error.form"), "error");
    $(`[name="${found[0][0]}"]`).focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    // One key per request: sending it again after a lost answer gets the same case back.
    let created;
    try {
      created = await call("POST", "/cases", { body: request, idempotencyKey });
    } catch (error) {
      if (error.code !== "idempotency_key_reused") throw error;
      idempotencyKey = crypto.randomUUID(); // the form changed since the key was used
      created = await call("POST", "/cases", { body: request, idempotencyKey });
    }
    remember(created.case_id, created.access_token, request.language);
    location.assign(`/case.html#${created.case_id}`);
  } catch (error) {
    // The API names fields and rules ("email: is not valid"); show them by the field they concern.
    const named = (error.message || "").split("; ").filter((part) => {
      const field = part.split(":")[0].split(".")[0];
      return FIELD_ERRORS.includes(field) && showFieldError(field, t("error.field_invalid"));
    });
    say($("#errors"), named.length ? t("error.form") : t("error.api", { message: error.message }), "error");
    button.disabled = false;
  }
}

$("#request").addEventListener("submit", submit);
await start();
$("#language").value = document.documentElement.lang;
document.body.dataset.ready = "true";
