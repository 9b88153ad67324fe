// The bell of the header follows the signed-in person's unread count live, over their
// personal stream (/ws/moi/, docs/live-protocol.md). A rise is announced politely in the
// page's live region; focus never moves. Without JavaScript the bell is a plain link
// with the count of the moment the page was built.
const bell = document.getElementById("notification-bell");
const count = document.getElementById("notification-count");
const region = document.getElementById("live-region");

function label(n, one, many) {
  return n === 1 ? bell.dataset[one] : bell.dataset[many].replace("__N__", String(n));
}

function show(n) {
  const before = Number(count.dataset.count || "0");
  count.dataset.count = String(n);
  // « aucune non lue » rather than « 0 non lues », as the server writes it.
  count.textContent = n === 0 ? bell.dataset.none : label(n, "one", "many");
  if (n > before && region) {
    region.textContent = label(n, "newOne", "newMany");
  }
}

let delay = 1000;

function connect() {
  if (!("WebSocket" in window)) return;
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + window.location.host + bell.dataset.stream);
  socket.addEventListener("open", () => {
    delay = 1000;
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === "notifications.count" && Number.isInteger(message.unread)) {
      show(message.unread);
    }
  });
  socket.addEventListener("close", () => {
    // Back off up to a minute: a restart of the servers must not bring every page back at once.
    window.setTimeout(connect, delay + Math.random() * 1000);
    delay = Math.min(delay * 2, 60000);
  });
}

if (bell && count && bell.dataset.stream) {
  connect();
}
