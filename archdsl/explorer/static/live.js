/* archdsl serve: follow the spec. The server pushes one JSON message per check (server-sent events):
   a new model keeps the reader's open blocks; an error shows the CLI's text and dims the last good diagram. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);

  function show(message) {
    document.body.dataset.version = String(message.version);
    const status = $("status");
    const diagnostics = $("diagnostics");
    const when = new Date().toLocaleTimeString();
    if (message.ok) {
      window.archdslExplorer.setModel(message.model);
      $("summary").innerHTML = message.summary;
      $("canvas").classList.remove("stale");
      status.className = "";
      status.textContent = `checked ${message.spec} at ${when}`;
    } else {
      $("canvas").classList.add("stale");
      status.className = "error";
      status.textContent = `${message.spec} has errors (${when}); the diagram is the last good one`;
    }
    diagnostics.textContent = message.diagnostics;
    diagnostics.classList.toggle("shown", message.diagnostics !== "");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const events = new EventSource("/_archdsl/events");
    events.onmessage = (event) => show(JSON.parse(event.data));
  });
})();
