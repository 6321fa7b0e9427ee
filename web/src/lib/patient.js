// The patient's case access token: shown once by the API, kept in this tab's session storage
// (gone when the tab closes; never in a URL, cookie or local storage).

export function remember(caseId, token, reportLanguage) {
  sessionStorage.setItem(`case:${caseId}`, JSON.stringify({ token, reportLanguage, fresh: true }));
}

export function recall(caseId) {
  const raw = sessionStorage.getItem(`case:${caseId}`);
  return raw ? JSON.parse(raw) : null;
}

/** The token, shown to the patient once after the case was opened so they can keep it. */
export function takeFreshToken(caseId) {
  const kept = recall(caseId);
  if (!kept?.fresh) return null;
  sessionStorage.setItem(`case:${caseId}`, JSON.stringify({ ...kept, fresh: false }));
  return kept.token;
}

export function caseIdFromLocation() {
  const id = decodeURIComponent(location.hash.slice(1));
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}
