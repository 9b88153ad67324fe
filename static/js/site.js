// Site-wide enhancements; every page works without this file.

// Forms marked data-confirm ask before a destructive action (the server checks again).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A page sent back with errors: focus goes to the summary of the problems, which the
// screen reader reads, and whose links lead to each field (RGAA 11.10).
const summary = document.querySelector("[data-error-summary]");
if (summary) summary.focus();
