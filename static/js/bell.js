// The bell in the top bar (templates/includes/bell.html): asks for the unread count once
// the page has loaded, so that no page pays a query for it. Without JavaScript the bell
// is a plain link to the page of notifications.
(function () {
  "use strict";
  var bell = document.querySelector(".bell[data-unread-url]");
  if (!bell || !window.fetch) {
    return;
  }
  var badge = bell.querySelector(".bell-count");
  fetch(bell.getAttribute("data-unread-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (data) {
      if (data && data.unread > 0) {
        badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
        badge.hidden = false;
        bell.classList.add("has-unread");
      }
    })
    .catch(function () {});
})();
