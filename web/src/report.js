// The report page behind the e-mail's link. Opening it mints nothing (mail scanners fetch links):
// the download link is asked for by a POST with the access code or an e-mailed one-time code.
import { call } from "./lib/api.js";
import { $, say, when } from "./lib/dom.js";
import { has, language, start, t } from "./lib/i18n.js";
import { caseIdFromLocation, recall } from "./lib/patient.js";

const caseId = caseIdFromLocation();

function explain(error) {
  const key = `error.${error.code}`;
  say($("#notice"), has(key) ? t(key) : t("error.api", { message: error.message }), "error");
}

async function showStatus(token) {
  try {
    const status = await call("GET", `/cases/${caseId}/report`, { token });
    $("#facts").hidden = !status.ready;
    $("#delivered").textContent = when(status.delivered_at, language());
    $("#until").textContent = when(status.expires_at, language());
    if (!status.ready) say($("#notice"), t("report.not_ready"), "info");
    else if (status.revoked) say($("#notice"), t("error.delivery_revoked"), "error");
    else if (status.expired) say($("#notice"), t("error.delivery_expired"), "error");
  } catch (error) {
    explain(error);
  }
}

async function download(body, token) {
  try {
    const link = await call("POST", `/cases/${caseId}/report/link`, { token, body });
    const anchor = $("#download-link");
    anchor.href = link.download_url;
    $("#download").hidden = false;
    say($("#notice"), t("report.minted", { until: when(link.expires_at, language()) }), "info");
    anchor.focus();
  } catch (error) {
    explain(error);
  }
}

const format = () => document.querySelector("input[name=format]:checked").value;

// Handlers first: a click during the first requests must not submit the form natively.
$("#with-token").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = $("#token").value.trim();
  await showStatus(token);
  await download({ format: format() }, token);
});
$("#send-code").addEventListener("click", async () => {
  try {
    await call("POST", `/cases/${caseId}/report/code`);
    say($("#notice"), t("report.code_sent"), "info");
    $("#code").focus();
  } catch (error) {
    explain(error);
  }
});
$("#with-code").addEventListener("submit", async (event) => {
  event.preventDefault();
  await download({ code: $("#code").value.trim(), format: format() });
});

await start();
if (!caseId) {
  say($("#notice"), t("case.unknown"), "error");
} else {
  const kept = recall(caseId)?.token;
  if (kept) {
    $("#token").value = kept;
    await showStatus(kept);
  }
}
document.body.dataset.ready = "true";
