// Accessible names the Wagtail admin's own widgets leave out (axe-core: "label",
// "aria-input-field-name", "landmark-unique"). Applied again whenever the editor adds
// a field (StreamField blocks, inline forms), since those are drawn after page load.

const clean = (node) => node?.textContent.replace(/\*/g, "").replace(/\s+/g, " ").trim() || "";

/** A name for a field Wagtail draws without a <label for>: the label just before its
 *  wrapper (a StreamField struct's child, "Réponse"), else the block's type
 *  ("Paragraphe"). A struct child gets its block's title too ("Réponse (Qui peut
 *  participer ?)"), so the answers of a FAQ do not all have the same name. */
function fieldLabel(element) {
  const wrapper = element.closest("[data-field-wrapper], .w-field__wrapper");
  const before = wrapper?.previousElementSibling;
  const section = element.closest("section[aria-labelledby]");
  const heading = section && document.getElementById(section.getAttribute("aria-labelledby"));
  const type = clean(heading?.querySelector(".c-sf-block__type"));
  const title = clean(heading?.querySelector(".c-sf-block__title"));
  if (before?.matches("label.w-field__label")) {
    return title ? `${clean(before)} (${title})` : clean(before);
  }
  return type || title || clean(heading);
}

function nameRichTextEditors(root) {
  // Draftail's editable area is a role="textbox" that carries no name of its own.
  for (const box of root.querySelectorAll(".public-DraftEditor-content[role='textbox']")) {
    if (box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby")) continue;
    const input = box.closest(".w-field__input, [data-field-input]")?.querySelector("input[data-draftail-input], input[type='hidden'][id]");
    const label = input && document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    if (label) {
      if (!label.id) label.id = `${input.id}-label`;
      box.setAttribute("aria-labelledby", label.id);
    } else {
      const text = fieldLabel(box);
      if (text) box.setAttribute("aria-label", text);
    }
  }
}

function nameTagInputs(root) {
  // The tag widget hides the real <input> and types into a new one without a label.
  for (const typed of root.querySelectorAll(".tagit-new input:not([aria-labelledby]):not([aria-label])")) {
    const original = typed.closest(".w-field__input, [data-field-input]")?.querySelector("input[data-controller='w-tag']");
    const label = original && document.querySelector(`label[for="${CSS.escape(original.id)}"]`);
    if (label) {
      if (!label.id) label.id = `${original.id}-label`;
      typed.setAttribute("aria-labelledby", label.id);
    } else {
      typed.setAttribute("aria-label", fieldLabel(typed) || original?.name || "");
    }
  }
}

function nameNestedInlinePanels(root) {
  // Nested inline forms ("Choix 1" of question 1 and of question 2) are landmarks with
  // the same name; prefix each with its parent's heading: "Question 2 Choix 1".
  const pattern = /^(inline_child_.+-\d+)-[a-z_]+-\d+-panel-section$/;
  for (const section of root.querySelectorAll("section[id^='inline_child_'][id$='-panel-section']")) {
    const match = section.id.match(pattern);
    if (!match) continue;
    const parentHeading = `${match[1]}-panel-heading`;
    const own = section.id.replace(/-section$/, "-heading");
    if (!document.getElementById(parentHeading) || !document.getElementById(own)) continue;
    const wanted = `${parentHeading} ${own}`;
    if (section.getAttribute("aria-labelledby") !== wanted) section.setAttribute("aria-labelledby", wanted);
  }
}

function fix() {
  nameRichTextEditors(document);
  nameTagInputs(document);
  nameNestedInlinePanels(document);
}

let queued = false;
new MutationObserver(() => {
  if (queued) return;
  queued = true;
  window.requestAnimationFrame(() => {
    queued = false;
    fix();
  });
}).observe(document.documentElement, { childList: true, subtree: true });
fix();
