// Live updates of a consultation page (docs/live-protocol.md). The page is complete
// without this file; with it, what others do arrives as it happens:
//   - a WebSocket on /ws/consultations/<id>/ brings each change once;
//   - after a lost connection it reconnects with backoff and catches up over HTTP
//     (…/direct/?after=<cursor>), so nothing is missed;
//   - where WebSockets cannot connect at all, that endpoint is polled every 15 s.
// It never replaces a form, never moves focus on its own, and never moves what a
// person is typing: new top-level comments wait behind a button, replies go under
// their parent, figures change in place.
// A comment frame carries the comment's HTML, the same for every reader; this file
// keeps in it the tools this reader may use (their own edit and delete, support,
// reply, report), from the reader context the page embeds (#reader-context). So a
// frame costs no request: HTTP is only for gaps (reconnection, polling fallback).
import { announce } from "./enhance.js";

const POLL_MS = 15000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const PING_MS = 25000;
const CATCH_UP_DELAY_MS = 150; // gathers the needs of one burst into one request
const ANNOUNCE_DELAY_MS = 1500;
// A frame whose `prev` this page has not seen: wait this long for it (frames from two
// server processes may cross) before catching up what was missed.
const GAP_WAIT_MS = 1000;

const root = document.getElementById("live");
if (root) start(root);

function readerContext() {
  const holder = document.getElementById("reader-context");
  try {
    return JSON.parse(holder?.textContent || "{}") || {};
  } catch {
    return {};
  }
}

function start(root) {
  const text = root.dataset;
  let reader = readerContext();
  const supported = new Set((reader.supported || []).map(Number));
  const state = {
    cursor: text.cursor, // "t<ms>" (page rendered) or a journal id
    catchFrom: null, // where the next catch-up must start, when a frame asked for one
    lastContact: Date.now(),
    socket: null,
    attempts: 0,
    pollTimer: null,
    reconnectTimer: null,
    catchUpTimer: null,
    fetching: false,
    again: false,
    pendingTop: new Map(), // id → HTML of new top-level comments waiting for "afficher"
    announceTimer: null,
    newReplies: 0, // replies placed under their parent since the last announcement
    status: text.status,
    closedShown: text.status === "closed",
    lastFrame: Date.now(),
    seen: new Set(), // cursors received lately, to tell a crossed frame from a lost one
  };

  const plural = (one, many, count) =>
    (count === 1 || count === 0 ? one : many).replace("{count}", String(count));

  function isTime(cursor) {
    return typeof cursor === "string" && cursor.startsWith("t");
  }

  function advance(cursor) {
    if (typeof cursor !== "number") return;
    if (isTime(state.cursor) || cursor > Number(state.cursor)) state.cursor = String(cursor);
  }

  function saw(cursor) {
    if (typeof cursor !== "number") return;
    state.seen.add(cursor);
    if (state.seen.size > 500) {
      const floor = cursor - 250;
      for (const old of state.seen) if (old < floor) state.seen.delete(old);
    }
  }

  /** A frame says which journal row came before it (`prev`, docs/live-protocol.md):
   *  when this page never got that one (a broadcast skipped while Redis was out), it
   *  catches up from where it was — the only request a frame can cause. */
  function checkGap(event) {
    const prev = event.prev;
    if (typeof prev !== "number" || isTime(state.cursor)) return;
    const from = Number(state.cursor);
    if (prev <= from || state.seen.has(prev)) return;
    window.setTimeout(() => {
      if (state.seen.has(prev)) return; // it came after all, crossed with this one
      if (state.catchFrom === null || from < Number(state.catchFrom)) {
        state.catchFrom = String(from);
      }
      scheduleCatchUp();
    }, GAP_WAIT_MS);
  }

  /** A frame that needs this reader's own rendering: fetch from `cursor - 1` on. */
  function needCatchUp(cursor) {
    if (typeof cursor === "number") {
      const from = cursor - 1;
      if (state.catchFrom === null || from < Number(state.catchFrom)) {
        state.catchFrom = String(from);
      }
    }
    scheduleCatchUp();
  }

  // --- Applying events -----------------------------------------------------------------

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  /** Which hidden tool of a public card this reader keeps (docs/live-protocol.md). */
  function keeps(tool, own, editUntil) {
    const signedIn = reader.signed_in === true;
    const supports = signedIn && reader.support === true && !own;
    switch (tool) {
      case "support":
        return supports;
      case "count":
        return !supports;
      case "reply":
        return signedIn && (reader.reply === true || reader.official === true);
      case "own":
        return own;
      case "edit":
        return own && reader.edit === true && Date.now() < editUntil;
      case "report":
        return signedIn && reader.report === true && !own;
      default:
        return false;
    }
  }

  /** The public card as the server renders it for this reader: the tools they may use
   *  shown, the others removed, the page's CSRF token in its forms. */
  function settle(item) {
    const own = reader.signed_in === true && Boolean(reader.key)
      && item.dataset.author === reader.key;
    item.removeAttribute("data-author");
    const ownTools = item.querySelector("[data-live-tool=own]");
    const editUntil = Date.parse(ownTools?.dataset.editUntil || "") || 0;
    for (const element of item.querySelectorAll("[data-live-tool]")) {
      if (!item.contains(element)) continue; // inside a tool removed already
      if (keeps(element.dataset.liveTool, own, editUntil)) {
        element.hidden = false;
        element.removeAttribute("data-live-tool");
      } else {
        element.remove();
      }
    }
    if (ownTools && item.contains(ownTools)) ownTools.replaceWith(...ownTools.childNodes);
    const id = Number(item.id.replace("commentaire-", ""));
    if (supported.has(id)) {
      item.querySelector(`#support-button-${id}`)?.setAttribute("aria-pressed", "true");
      const choice = item.querySelector(`#support-${id} input[name=supported]`);
      if (choice) choice.value = "0";
    }
    for (const token of item.querySelectorAll("input[name=csrfmiddlewaretoken]")) {
      token.value = reader.csrf || "";
    }
    return item;
  }

  function build(html) {
    const item = parse(html);
    return item ? settle(item) : null;
  }

  function hasTypedText(element) {
    for (const field of element.querySelectorAll("textarea, input[type=text]")) {
      if (field.value.trim()) return true;
    }
    return element.contains(document.activeElement) && document.activeElement !== document.body;
  }

  function repliesList(parentId) {
    let list = document.getElementById(`replies-of-${parentId}`);
    if (list) return list;
    const holder = document.getElementById(`thread-of-${parentId}`)
      || document.getElementById(`commentaire-${parentId}`);
    if (!holder) return null;
    list = document.createElement("ol");
    list.className = "comments comments--replies";
    list.id = `replies-of-${parentId}`;
    holder.insertBefore(list, holder.querySelector(":scope > .comment__more"));
    return list;
  }

  function created(event, html) {
    const id = event.id;
    if (document.getElementById(`commentaire-${id}`)) return; // already here (one's own)
    if (!html) return; // not visible to this reader any more
    if (event.parent) {
      if (!document.getElementById(`commentaire-${event.parent}`)) return; // not on this page
      const parsed = parse(html);
      // The reader's own reply can arrive here before the answer to their own post:
      // it is placed, but not announced as news (their post says « publiée »).
      const own = Boolean(parsed) && reader.signed_in === true && Boolean(reader.key)
        && parsed.dataset.author === reader.key;
      const item = parsed ? settle(parsed) : null;
      const list = repliesList(event.parent);
      if (item && list) {
        list.append(item);
        if (!own) {
          state.newReplies += 1;
          scheduleAnnouncement();
        }
      }
      return;
    }
    state.pendingTop.set(id, html);
    showNewButton();
  }

  function edited(event, html) {
    if (state.pendingTop.has(event.id)) {
      if (html) state.pendingTop.set(event.id, html);
      return;
    }
    const card = document.getElementById(`c-${event.id}`);
    if (!card || !html) return;
    const fresh = parse(html)?.querySelector(`#c-${event.id}`);
    if (!fresh) return;
    // Only the header and the text change: the actions (and any open form) stay.
    for (const selector of [".comment__header", ".comment__text"]) {
      const now = card.querySelector(`:scope > ${selector}`);
      const next = fresh.querySelector(`:scope > ${selector}`);
      if (now && next) now.replaceWith(next);
    }
  }

  function removed(event, placeholder) {
    if (state.pendingTop.delete(event.id)) {
      showNewButton();
      return;
    }
    const item = document.getElementById(`commentaire-${event.id}`);
    if (!item) return;
    const card = document.getElementById(`c-${event.id}`);
    if (!placeholder && !hasTypedText(item) && !item.querySelector(".comments--replies li")) {
      item.remove();
      return;
    }
    if (!card) return;
    const words = placeholder === "deleted" ? text.deleted : text.hidden;
    // Keep an open reply form (and what is typed in it); drop everything else.
    for (const child of [...card.children]) {
      if (child.classList.contains("comment__actions")) {
        for (const action of [...child.children]) {
          if (!action.querySelector("form")) action.remove();
        }
        if (!child.children.length) child.remove();
      } else {
        child.remove();
      }
    }
    const note = document.createElement("p");
    note.className = "comment__placeholder";
    note.textContent = words;
    card.prepend(note);
    card.removeAttribute("aria-labelledby");
    card.classList.remove("comment__card--official", "comment__card--pending");
  }

  function supports(event) {
    const holder = document.getElementById(`support-${event.id}`);
    if (!holder) return;
    const count = Number(event.supports) || 0;
    const inButton = holder.querySelector(".support-count");
    if (inButton) {
      inButton.textContent = String(count);
      const soFar = holder.querySelector(".support-so-far");
      if (soFar) soFar.textContent = ` ${plural(text.soFarOne, text.soFarMany, count)}`;
      return;
    }
    let span = holder.querySelector(".comment__supports");
    if (!count) {
      span?.remove();
      return;
    }
    if (!span) {
      span = document.createElement("span");
      span.className = "comment__supports";
      holder.prepend(span);
    }
    span.textContent = plural(text.supportOne, text.supportMany, count);
  }

  function pollFigures(pollId, figures) {
    const section = document.getElementById(`sondage-${pollId}`);
    if (!section || !figures) return;
    const participants = Number(figures.participants) || 0;
    const counted = plural(text.participantOne, text.participantMany, participants);
    for (const span of section.querySelectorAll(".poll__participants")) {
      span.textContent = counted;
    }
    for (const caption of section.querySelectorAll("caption[data-question]")) {
      caption.textContent = `${caption.dataset.question} — ${counted}`;
    }
    if (!figures.choices) return;
    const language = document.documentElement.lang || "fr";
    for (const line of section.querySelectorAll("li[data-choice]")) {
      const count = Number(figures.choices[line.dataset.choice]) || 0;
      const percent = participants ? (100 * count) / participants : 0;
      const strong = line.querySelector(".poll-results__figures > strong");
      if (strong) strong.textContent = `${Math.round(percent)}\u202f%`;
      const counted = line.querySelector(".poll-results__count");
      if (counted) counted.textContent = plural(text.voteOne, text.voteMany, count);
      line.querySelector(".poll-results__value")?.setAttribute("width", percent.toFixed(1));
    }
    for (const row of section.querySelectorAll("tr[data-choice]")) {
      const count = Number(figures.choices[row.dataset.choice]) || 0;
      const percent = participants ? (100 * count) / participants : 0;
      const cells = row.querySelectorAll("td");
      if (cells.length < 2) continue;
      cells[0].textContent = String(count);
      cells[1].textContent = `${percent.toLocaleString(language, {
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      })}\u202f%`;
    }
  }

  function pollResults(event, fromSocket) {
    const section = document.getElementById(`sondage-${event.poll}`);
    if (!section) return;
    if (!event.choices && fromSocket && section.querySelector(".poll-results")) {
      // This reader sees results the public does not (they voted): ask for them.
      needCatchUp(event.cursor);
      pollFigures(event.poll, { participants: event.participants });
      return;
    }
    pollFigures(event.poll, event);
  }

  function statusChanged(status, commentsOpen) {
    const was = state.status;
    state.status = status;
    if (status === "closed" || commentsOpen === false) {
      if (state.closedShown) return;
      state.closedShown = true;
      disableForms();
      notice(text.closed);
    } else if (status === "open" && was === "upcoming") {
      notice(text.opened, true);
    }
  }

  function disableForms() {
    const scope = document.querySelector(".consultation") || document;
    for (const form of scope.querySelectorAll("#commentaires form, .polls form")) {
      // Read-only rather than disabled: what was typed stays visible and can be copied.
      for (const field of form.querySelectorAll("textarea, input[type=text]")) {
        field.readOnly = true;
      }
      for (const control of form.querySelectorAll("button, input:not([type=hidden]), select")) {
        if (control.tagName === "TEXTAREA" || control.type === "text") continue;
        control.disabled = true;
      }
    }
  }

  function notice(message, withReload = false) {
    let box = document.getElementById("live-notice");
    if (!box) {
      box = document.createElement("p");
      box.id = "live-notice";
      box.className = "message message--warning";
      const anchor = document.getElementById("commentaires") || document.querySelector(".polls");
      if (anchor) anchor.prepend(box);
      else root.after(box);
    }
    box.textContent = `${message} `;
    if (withReload) {
      const link = document.createElement("a");
      link.href = window.location.pathname + window.location.search;
      link.textContent = text.reload;
      box.append(link);
    }
    announce(message);
  }

  function apply(event, fromSocket) {
    if (fromSocket) checkGap(event);
    saw(event.cursor);
    switch (event.type) {
      case "comment.created":
        // The frame brings the comment's HTML. Without it (its rendering failed on the
        // server) the catch-up endpoint renders it: a gap like any other.
        if (fromSocket && !event.html) {
          needCatchUp(event.cursor);
          return;
        }
        created(event, event.html);
        break;
      case "comment.edited":
        if (fromSocket && !event.html) {
          needCatchUp(event.cursor);
          return;
        }
        edited(event, event.html);
        break;
      case "comment.removed":
        removed(event, event.placeholder || "");
        break;
      case "comment.deleted":
        removed(event, "deleted");
        break;
      case "comment.supports":
        supports(event);
        break;
      case "poll.results":
        pollResults(event, fromSocket);
        break;
      case "consultation.status":
        statusChanged(event.status, event.comments);
        break;
      default:
        break; // an event this page does not know: a newer server, ignore it
    }
    advance(event.cursor);
  }

  // --- "N nouveaux commentaires — afficher" -----------------------------------------------

  let newButton = null;

  function showNewButton() {
    const count = state.pendingTop.size;
    if (!count) {
      newButton?.parentElement?.remove();
      newButton = null;
      return;
    }
    if (!newButton) {
      const holder = document.createElement("p");
      holder.className = "thread__new";
      newButton = document.createElement("button");
      newButton.type = "button";
      newButton.className = "button button--secondary";
      newButton.addEventListener("click", showNewComments);
      holder.append(newButton);
      const list = document.getElementById("comment-list");
      const empty = document.querySelector("#commentaires > .empty");
      const compose = document.getElementById("comment-compose");
      if (list) list.before(holder);
      else if (empty) empty.before(holder);
      else if (compose) compose.after(holder);
      else return;
    }
    newButton.textContent = plural(text.newOne, text.newMany, count);
    scheduleAnnouncement();
  }

  /** New comments and new replies are said politely, once the burst is over, in one
   *  message (a second one would cut the first); focus stays where the person is. */
  function scheduleAnnouncement() {
    window.clearTimeout(state.announceTimer);
    state.announceTimer = window.setTimeout(() => {
      const parts = [];
      const waiting = state.pendingTop.size;
      if (waiting) parts.push(plural(text.announceOne, text.announceMany, waiting));
      if (state.newReplies) parts.push(plural(text.replyOne, text.replyMany, state.newReplies));
      state.newReplies = 0;
      if (parts.length) announce(parts.join(" "));
    }, ANNOUNCE_DELAY_MS);
  }

  function showNewComments() {
    let list = document.getElementById("comment-list");
    if (!list) {
      list = document.createElement("ol");
      list.className = "comments";
      list.id = "comment-list";
      const empty = document.querySelector("#commentaires > .empty");
      if (empty) empty.replaceWith(list);
      else newButton.parentElement.after(list);
    }
    let first = null;
    for (const [id, html] of state.pendingTop) {
      if (document.getElementById(`commentaire-${id}`)) continue;
      const item = build(html);
      if (!item) continue;
      list.prepend(item);
      first = item;
    }
    state.pendingTop.clear();
    newButton.parentElement.remove();
    newButton = null;
    // The person asked for them: reading continues at the newest one.
    const card = first?.querySelector("article");
    if (card) {
      card.setAttribute("tabindex", "-1");
      card.focus();
    }
  }

  // --- Catching up over HTTP ----------------------------------------------------------------

  function scheduleCatchUp() {
    if (state.catchUpTimer) return;
    state.catchUpTimer = window.setTimeout(() => {
      state.catchUpTimer = null;
      catchUp();
    }, CATCH_UP_DELAY_MS);
  }

  async function catchUp() {
    if (state.fetching) {
      state.again = true;
      return;
    }
    if (Date.now() - state.lastContact > Number(text.journalHours || 48) * 3600 * 1000) {
      notice(text.stale, true); // the journal no longer holds everything missed
    }
    state.fetching = true;
    let from = state.catchFrom ?? state.cursor;
    state.catchFrom = null;
    try {
      for (let page = 0; page < 20; page += 1) {
        const response = await fetch(`${text.catchUp}?after=${encodeURIComponent(from)}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) break;
        const answer = await response.json();
        state.lastContact = Date.now();
        if (answer.reader) {
          reader = answer.reader;
          for (const id of answer.reader.supported || []) supported.add(Number(id));
        }
        for (const event of answer.events) apply(event, false);
        for (const [pollId, figures] of Object.entries(answer.polls || {})) {
          pollFigures(pollId, figures);
        }
        statusChanged(answer.status, undefined);
        if (!isTime(answer.cursor)) advance(Number(answer.cursor));
        if (!answer.more) break;
        from = answer.cursor;
      }
    } catch {
      // Offline: the next poll or reconnection tries again from the same cursor.
    } finally {
      state.fetching = false;
    }
    if (state.again) {
      state.again = false;
      scheduleCatchUp();
    }
  }

  // --- The WebSocket, with backoff and the polling fallback ---------------------------------

  function startPolling() {
    if (state.pollTimer) return;
    state.pollTimer = window.setInterval(catchUp, POLL_MS);
  }

  function stopPolling() {
    window.clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  function scheduleReconnect() {
    if (state.reconnectTimer) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** state.attempts);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: not all at once
    state.attempts += 1;
    state.reconnectTimer = window.setTimeout(() => {
      state.reconnectTimer = null;
      connect();
    }, delay);
  }

  function onFrame(data) {
    state.lastFrame = Date.now();
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (!event || typeof event.type !== "string" || event.type === "pong") return;
    state.lastContact = Date.now();
    if (event.type === "batch" && Array.isArray(event.events)) {
      for (const each of event.events) {
        if (each && typeof each.type === "string") apply(each, true);
      }
      return;
    }
    apply(event, true);
  }

  function connect() {
    if (state.socket) return;
    if (!("WebSocket" in window)) {
      startPolling();
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let socket;
    try {
      socket = new WebSocket(scheme + window.location.host + text.socket);
    } catch {
      startPolling();
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.attempts = 0;
      state.lastFrame = Date.now();
      stopPolling();
      catchUp(); // what happened before this connection (page load or outage)
    });
    socket.addEventListener("message", (message) => onFrame(message.data));
    socket.addEventListener("close", () => {
      if (state.socket === socket) state.socket = null;
      startPolling();
      scheduleReconnect();
    });
  }

  // A ping keeps proxies from closing an idle connection, and a silent one is dropped.
  window.setInterval(() => {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - state.lastFrame > PING_MS * 2.5) {
      socket.close();
      return;
    }
    socket.send('{"type":"ping"}');
  }, PING_MS);

  // Back from sleep or from a dead network: try at once rather than after the backoff.
  const retryNow = () => {
    if (state.socket || document.visibilityState === "hidden") return;
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.attempts = 0;
    connect();
  };
  window.addEventListener("online", retryNow);
  document.addEventListener("visibilitychange", retryNow);

  connect();
}
