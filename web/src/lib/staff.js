// Staff sign-in. In AWS: Cognito's hosted sign-in (with MFA) through the authorization-code flow
// with PKCE, a public client with no secret in the page. Locally: `secondopinion local`'s sign-in
// endpoint. The ID token is kept in this tab's session storage and sent as a bearer token.
import { config } from "./config.js";
import { $, el } from "./dom.js";

const KEY = "staff";

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function claimsOf(token) {
  const part = token.split(".")[token.split(".").length === 3 ? 1 : 0];
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

export function session() {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  const kept = JSON.parse(raw);
  if (kept.exp * 1000 < Date.now()) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return kept;
}

function keep(token) {
  const claims = claimsOf(token);
  const groups = String(claims["cognito:groups"] ?? "").split(/[,\s]+/).filter(Boolean);
  const kept = { token, exp: claims.exp, groups, radiologistId: claims["custom:radiologist_id"] ?? null };
  sessionStorage.setItem(KEY, JSON.stringify(kept));
  return kept;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.assign("/staff/");
}

async function cognitoRedirect(auth) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state, back: location.pathname + location.hash }));
  const url = new URL("/oauth2/authorize", auth.domain);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: "openid email",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(url);
}

async function cognitoReturn(auth, params) {
  const pkce = JSON.parse(sessionStorage.getItem("pkce") ?? "null");
  sessionStorage.removeItem("pkce");
  history.replaceState(null, "", location.pathname); // the code is spent: keep it out of history
  if (!pkce || params.get("state") !== pkce.state) throw new Error("The sign-in could not be verified. Please sign in again.");
  const response = await fetch(new URL("/oauth2/token", auth.domain), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.clientId,
      code: params.get("code"),
      redirect_uri: auth.redirectUri,
      code_verifier: pkce.verifier,
    }),
  });
  if (!response.ok) throw new Error("The sign-in failed. Please sign in again.");
  keep((await response.json()).id_token);
  if (pkce.back && pkce.back !== location.pathname) location.assign(pkce.back);
}

function localForm(auth, done) {
  const status = el("p", { class: "message", role: "alert", hidden: true });
  const form = el(
    "form",
    { id: "sign-in", class: "sign-in" },
    el("h2", {}, "Sign in"),
    el("label", { for: "username" }, "User name"),
    el("input", { id: "username", autocomplete: "username", required: true }),
    el("label", { for: "password" }, "Password"),
    el("input", { id: "password", type: "password", autocomplete: "current-password", required: true }),
    el("button", { type: "submit" }, "Sign in"),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(auth.signInUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("#username").value.trim(), password: $("#password").value }),
    });
    if (!response.ok) {
      status.textContent = "The user name or password is wrong.";
      status.hidden = false;
      return;
    }
    form.remove();
    done(keep((await response.json()).token));
  });
  return form;
}

/** The signed-in staff member, signing in first if needed; `slot` receives the local sign-in form. */
export async function signedIn(slot) {
  const kept = session();
  if (kept) return kept;
  const { auth } = await config();
  if (auth.kind === "cognito") {
    const params = new URLSearchParams(location.search);
    if (params.has("code")) {
      await cognitoReturn(auth, params);
      return session();
    }
    await cognitoRedirect(auth);
    return new Promise(() => {}); // the page is leaving
  }
  return new Promise((resolve) => slot.append(localForm(auth, resolve)));
}
