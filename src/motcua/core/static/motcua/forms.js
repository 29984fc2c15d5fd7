// One submission only for forms marked data-submit-once: a second click while the first is on
// its way does nothing (the services refuse a repeat anyway). A static file, not an onsubmit
// attribute, because the Content-Security-Policy allows no inline script.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) {
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
});
