// Comment threads, enhanced: every action works without this file (plain links and
// form posts); with it, new comments land in the list where they belong and long
// reply lists open in place.
import { announce } from "./enhance.js";

const FRAGMENT_HEADER = "X-Tribune-Fragment";

/** The list that holds the replies of comment `parentId`, created when missing. */
function repliesList(parentId) {
  let list = document.getElementById(`replies-of-${parentId}`);
  if (list) return list;
  const holder = document.getElementById(`thread-of-${parentId}`)
    || document.getElementById(`commentaire-${parentId}`);
  if (!holder) return null;
  list = document.createElement("ol");
  list.className = "comments comments--replies";
  list.id = `replies-of-${parentId}`;
  const more = holder.querySelector(":scope > .comment__more");
  holder.insertBefore(list, more);
  return list;
}

/** Move the just-posted comment out of the form's area into the thread. */
function placeNewComments(area) {
  const posted = area.querySelectorAll(":scope > .comments--new > li").length > 0;
  for (const item of area.querySelectorAll(":scope > .comments--new > li")) {
    const parentId = item.dataset.parent;
    let list;
    if (parentId) {
      list = repliesList(parentId);
    } else {
      list = document.getElementById("comment-list");
      if (!list) {
        const empty = document.querySelector("#commentaires > .empty");
        list = document.createElement("ol");
        list.className = "comments";
        list.id = "comment-list";
        if (empty) empty.replaceWith(list);
        else area.after(list);
      }
    }
    if (!list) continue;
    // Already placed by a live frame that came before this answer: this copy replaces it,
    // so the page never holds the same comment twice.
    const arrived = item.id
      ? [...document.querySelectorAll(`[id="${item.id}"]`)].find((other) => !area.contains(other))
      : null;
    if (arrived) arrived.replaceWith(item);
    else if (parentId) list.append(item);
    else list.prepend(item);
  }
  for (const list of area.querySelectorAll(":scope > .comments--new")) {
    if (!list.querySelector("li")) list.remove();
  }
  if (posted) {
    // Posted: the form is folded away; focus goes back to its "Répondre" link.
    area.querySelector(":scope > a[data-reply]")?.focus();
  }
}

document.addEventListener("tribune:replaced", (event) => {
  const area = event.target;
  if (area.id === "comment-compose" || area.classList.contains("comment__reply")) {
    placeNewComments(area);
  }
});

/** Fetch a fragment of the page (the server answers the element's new HTML). */
async function fetchFragment(url) {
  const response = await fetch(url, {
    headers: { [FRAGMENT_HEADER]: "1" },
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(String(response.status));
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const element = template.content.firstElementChild;
  if (!element) throw new Error("empty");
  return element;
}

// "Répondre" is a link to the reply page; here the form opens under the comment.
const collapsed = new WeakMap();
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-reply], a[data-reply-cancel]");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (link.hasAttribute("data-reply-cancel")) {
    const area = link.closest(".comment__reply");
    const before = area && collapsed.get(area);
    if (!before) return;
    event.preventDefault();
    area.replaceWith(before);
    before.querySelector("a[data-reply]")?.focus();
    return;
  }
  const area = document.getElementById(link.dataset.reply);
  if (!area) return;
  event.preventDefault();
  try {
    const form = await fetchFragment(link.href);
    collapsed.set(form, area);
    area.replaceWith(form);
    form.querySelector("textarea")?.focus();
  } catch {
    window.location.assign(link.href);
  }
});

// "Voir les N réponses": load every reply in place instead of opening another page.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-expand]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey) {
    return;
  }
  const target = document.getElementById(link.dataset.expand);
  if (!target) return;
  event.preventDefault();
  link.setAttribute("aria-busy", "true");
  try {
    const replacement = await fetchFragment(link.href);
    target.replaceWith(replacement);
    const count = replacement.querySelectorAll(".comment").length;
    const first = replacement.querySelector("article");
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: false });
    }
    announce(link.dataset.announce?.replace("{count}", count) || "");
  } catch {
    window.location.assign(link.href); // fall back to the replies page
  }
});
