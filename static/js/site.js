// Site-wide enhancements; every page works without this file.

// Forms marked data-confirm ask before a destructive action (the server checks again).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
