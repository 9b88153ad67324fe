// The alerts panel of the moderation admin. New alerts come on the moderators'
// stream (docs/live-protocol.md) and are announced in a polite live region: the page is
// never reloaded under the moderator (WCAG 2.2.1), the list changes when they ask for it.
// Without JavaScript, the "Refresh the list" link does the same.

const panel = document.querySelector("[data-moderation-alerts]");
const notice = document.getElementById("alerts-incoming");

function alertsIn(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return 0;
  }
  const events = message.type === "batch" ? message.events : [message];
  return events.filter((event) => event.type === "moderation.alert").length;
}

function connect(delay) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws/moderation/`);
  socket.addEventListener("open", () => {
    panel.dataset.live = "connected";
    delay = 1000;
  });
  socket.addEventListener("message", (message) => {
    if (alertsIn(message.data) && !notice.textContent) {
      notice.textContent = notice.dataset.text;
    }
  });
  socket.addEventListener("close", () => {
    panel.dataset.live = "";
    window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
  });
}

if (panel && notice && "WebSocket" in window) {
  connect(1000);
}
