// Keyboard shortcuts of the moderation queue. The queue works without this
// file: every action is a plain form. WCAG 2.1.4 (character key shortcuts): the keys
// act only while focus is in a queue row, never while typing in a field, and they
// follow the person's « Raccourcis clavier » preference of their Wagtail account, the
// switch that already turns off Wagtail's own single-key shortcuts.

const FOCUS_KEY = "tribune-moderation-focus";

const list = document.querySelector("ol.moderation__rows");
const help = document.getElementById("moderation-shortcuts");
let lastRow = null;

function enabled() {
  try {
    const config = JSON.parse(document.getElementById("wagtail-config")?.textContent || "{}");
    return config.KEYBOARD_SHORTCUTS_ENABLED !== false;
  } catch {
    return true;
  }
}

function rows() {
  return list ? Array.from(list.querySelectorAll(":scope > li.moderation__row")) : [];
}

/** A field where a letter is text (or a choice), not a command. */
function typing(element) {
  if (element.isContentEditable) return true;
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  if (element instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(element.type);
  }
  return false;
}

function currentRow(element) {
  const row = element?.closest?.("li.moderation__row");
  return row && list.contains(row) ? row : null;
}

function focusRow(row) {
  if (!row) return;
  row.focus();
  row.scrollIntoView({ block: "nearest" });
}

function move(row, step) {
  const all = rows();
  const index = all.indexOf(row);
  focusRow(all[Math.min(Math.max(index + step, 0), all.length - 1)]);
}

/** r / h: the reason comes first; Enter in the reason list then applies the action. */
function prepareRemoval(row, action) {
  const button = row.querySelector(`button[name="action"][value="${action}"]`);
  const reason = button?.form?.querySelector("select[name='reason']");
  if (!reason) return;
  row.dataset.pendingAction = action;
  reason.focus();
}

function openAnswer(row) {
  const details = row.querySelector("details.moderation__answer");
  if (!details) return;
  details.open = true;
  details.querySelector("textarea")?.focus();
}

function openHelp(row) {
  if (!help) return;
  lastRow = row;
  help.open = true;
  help.querySelector("summary")?.focus();
}

const ACTIONS = {
  j: (row) => move(row, 1),
  k: (row) => move(row, -1),
  p: (row) => row.querySelector("button[data-shortcut='p']")?.click(),
  t: (row) => row.querySelector("button[data-shortcut='t']")?.click(),
  r: (row) => prepareRemoval(row, "reject"),
  h: (row) => prepareRemoval(row, "hide"),
  o: (row) => openAnswer(row),
  "?": (row) => openHelp(row),
};

/** The row and the action a key stands for here, or null (the key is left alone). */
function shortcut(event) {
  if (!enabled() || event.ctrlKey || event.metaKey || event.altKey) return null;
  const row = currentRow(event.target);
  if (!row || typing(event.target) || !(event.key in ACTIONS)) return null;
  return { row, act: ACTIONS[event.key] };
}

function onKeydown(event) {
  const target = event.target;
  if (event.key === "Enter" && target instanceof HTMLSelectElement && target.name === "reason") {
    const row = currentRow(target);
    const action = row?.dataset.pendingAction;
    const button = action && target.form?.querySelector(`button[value="${action}"]`);
    if (button && enabled()) {
      event.preventDefault();
      target.form.requestSubmit(button); // the browser asks for a reason if none is chosen
    }
    return;
  }
  const found = shortcut(event);
  if (!found) return;
  // Handled here, not by Wagtail's own shortcuts (its "?" opens the admin's list).
  event.preventDefault();
  event.stopPropagation();
  found.act(found.row);
}

function start() {
  if (!list) return;
  for (const row of rows()) row.tabIndex = -1;
  list.addEventListener("keydown", onKeydown);
  // Wagtail's shortcuts listen to keypress for characters such as "?".
  list.addEventListener("keypress", (event) => {
    if (shortcut(event)) event.stopPropagation();
  });
  // After an action the queue comes back from the server: focus returns to the row at
  // the same place, so the next comment is one key away.
  list.addEventListener("submit", (event) => {
    const row = currentRow(event.target);
    if (row && enabled()) sessionStorage.setItem(FOCUS_KEY, String(rows().indexOf(row)));
  });
  if (help) {
    help.hidden = false;
    help.querySelector("[data-shortcuts-off]").hidden = enabled();
    help.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !help.open) return;
      event.stopPropagation();
      help.open = false;
      focusRow(lastRow || rows()[0]);
    });
  }
  const remembered = sessionStorage.getItem(FOCUS_KEY);
  sessionStorage.removeItem(FOCUS_KEY);
  if (remembered !== null && enabled()) {
    const all = rows();
    focusRow(all[Math.min(Number(remembered), all.length - 1)]);
  }
}

start();
