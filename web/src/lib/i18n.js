// The patient pages in en, de, fr and it: catalogues under /i18n, keys in data-i18n attributes.
export const LANGUAGES = ["en", "de", "fr", "it"];
let catalogue = {};
let current = "en";

export function language() {
  return current;
}

function chosen() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGUAGES.includes(asked)) localStorage.setItem("language", asked);
  const candidates = [asked, localStorage.getItem("language"), ...navigator.languages.map((l) => l.slice(0, 2))];
  return candidates.find((l) => LANGUAGES.includes(l)) ?? "en";
}

/** The text for `key`, with {name} placeholders filled from `values`. */
export function t(key, values = {}) {
  const text = catalogue[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function has(key) {
  return key in catalogue;
}

export function apply(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  document.documentElement.lang = current;
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
}

/** Load the chosen language, translate the page and wire the language switcher. */
export async function start(onChange = () => {}) {
  await load(chosen());
  const picker = document.getElementById("language-picker");
  if (picker) {
    picker.value = current;
    picker.addEventListener("change", async () => {
      localStorage.setItem("language", picker.value);
      await load(picker.value);
      onChange();
    });
  }
}

async function load(lang) {
  const response = await fetch(`/i18n/${lang}.json`);
  catalogue = await response.json();
  current = lang;
  apply();
}
