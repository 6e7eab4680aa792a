// Keeps an import's progress bar up to date from its JSON status, and reloads the
// page when the job has finished. Without JavaScript the page offers a refresh link.
(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  if (!bar || !bar.dataset.statusUrl) {
    return;
  }
  var label = document.querySelector("[data-import-label]");
  var rows = document.querySelector("[data-import-rows]");
  var delay = 1000;

  function show(status) {
    bar.max = Math.max(status.rows_total, 1);
    bar.value = status.rows_done;
    bar.textContent = status.percent + "%";
    if (label) {
      label.textContent = status.label;
    }
    if (rows) {
      rows.textContent = status.text;
    }
  }

  function poll() {
    fetch(bar.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.running) {
          window.setTimeout(poll, delay);
        } else {
          window.location.assign(status.url);
        }
      })
      .catch(function () {
        // A hiccup of the network: try again, less often.
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
