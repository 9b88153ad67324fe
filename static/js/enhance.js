// In-place forms: every action is a plain POST → redirect → GET without JavaScript;
// with it, forms marked data-enhance submit through fetch and the server answers the
// HTML fragment that replaces their target, so the page neither reloads nor jumps.
//
// Protocol (docs/architecture.md, "In-place actions"):
//   <form method="post" data-enhance="comment-42"> … </form>
//   request header  X-Tribune-Fragment: 1
//   response body   the new HTML of the element #comment-42 (on success or on error,
//                   with the person's text kept in the form)
//   response header X-Tribune-Announce: a short message, percent-encoded, read politely
//                   to screen readers ("Commentaire publié.")

const FRAGMENT_HEADER = "X-Tribune-Fragment";
const ANNOUNCE_HEADER = "X-Tribune-Announce";

/** Read a message to screen readers without moving focus. */
export function announce(message) {
  const region = document.getElementById("live-region");
  if (!region || !message) return;
  // Clearing first makes assistive technologies read a repeated message again.
  region.textContent = "";
  window.setTimeout(() => { region.textContent = message; }, 50);
}

/** Where focus should go back after `target` is replaced: the same field if it
 *  still exists (by id, else by name), else the new element itself. */
function focusAfterReplace(newElement, focusedId, focusedName) {
  let next = null;
  if (focusedId) next = document.getElementById(focusedId);
  if (!next && focusedName) next = newElement.querySelector(`[name="${CSS.escape(focusedName)}"]`);
  if (!next) {
    next = newElement;
    if (!next.hasAttribute("tabindex")) next.setAttribute("tabindex", "-1");
  }
  next.focus({ preventScroll: true });
}

async function submitInPlace(form, submitter) {
  const target = document.getElementById(form.dataset.enhance);
  if (!target) return false;
  const data = new FormData(form, submitter);
  const active = document.activeElement;
  const hadFocus = target.contains(active);
  const focusedId = hadFocus ? active.id : null;
  const focusedName = hadFocus ? active.getAttribute("name") : null;
  form.setAttribute("aria-busy", "true");
  let response;
  try {
    // getAttribute, not form.action: a field named "action" would shadow the property.
    response = await fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      headers: { [FRAGMENT_HEADER]: "1" },
      credentials: "same-origin",
    });
  } catch {
    form.removeAttribute("aria-busy");
    return false; // network trouble: fall back to the ordinary submission
  }
  form.removeAttribute("aria-busy");
  if (!response.headers.get("Content-Type")?.startsWith("text/html")) return false;
  const html = await response.text();
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const replacement = template.content.firstElementChild;
  if (!replacement) return false;
  target.replaceWith(replacement);
  // Refused: focus goes to the summary of the problems, else to the first field in error,
  // so the person hears what to correct (RGAA 11.10).
  const problem = replacement.querySelector("[data-error-summary], [aria-invalid='true']");
  if (problem) {
    if (!problem.matches("input, select, textarea, [tabindex]")) problem.setAttribute("tabindex", "-1");
    problem.focus();
  } else if (hadFocus) focusAfterReplace(replacement, focusedId, focusedName);
  const message = response.headers.get(ANNOUNCE_HEADER);
  if (message) announce(decodeURIComponent(message));
  replacement.dispatchEvent(new CustomEvent("tribune:replaced", { bubbles: true }));
  return true;
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.enhance) return;
  if (event.defaultPrevented) return; // e.g. a confirmation was declined
  event.preventDefault();
  const done = await submitInPlace(form, event.submitter);
  if (!done) {
    // Fall back to the ordinary POST, keeping the clicked button's name and value.
    delete form.dataset.enhance;
    form.requestSubmit(event.submitter);
  }
});
