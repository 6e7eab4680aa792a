// The main menu's groups (templates/includes/nav.html): each button opens its list of
// links. A click or Enter on the button opens and closes it; ArrowDown/ArrowUp move
// through the links (from the button, into the list); Home/End go to the first and
// last; Escape closes and gives the focus back to the button; a click elsewhere, or
// the focus leaving the group, closes it. Without JavaScript the CSS opens a group
// while the pointer is over it or the focus is inside it.
(function () {
  "use strict";
  var nav = document.querySelector(".mainnav");
  if (!nav) {
    return;
  }
  nav.classList.add("js");
  var toggles = Array.prototype.slice.call(nav.querySelectorAll(".navtoggle"));

  function menuOf(toggle) {
    return document.getElementById(toggle.getAttribute("aria-controls"));
  }

  function linksOf(toggle) {
    return Array.prototype.slice.call(menuOf(toggle).querySelectorAll("a"));
  }

  function setOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.parentNode.classList.toggle("open", open);
  }

  function closeAll(except) {
    toggles.forEach(function (toggle) {
      if (toggle !== except) {
        setOpen(toggle, false);
      }
    });
  }

  function focusLink(toggle, index) {
    var links = linksOf(toggle);
    if (!links.length) {
      return;
    }
    setOpen(toggle, true);
    links[(index + links.length) % links.length].focus();
  }

  toggles.forEach(function (toggle) {
    var group = toggle.parentNode;

    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      closeAll(toggle);
      setOpen(toggle, open);
    });

    toggle.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        closeAll(toggle);
        focusLink(toggle, 0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        closeAll(toggle);
        focusLink(toggle, -1);
      }
    });

    menuOf(toggle).addEventListener("keydown", function (event) {
      var links = linksOf(toggle);
      var index = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        event.preventDefault();
        focusLink(toggle, index + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        focusLink(toggle, index - 1);
      } else if (event.key === "Home") {
        event.preventDefault();
        focusLink(toggle, 0);
      } else if (event.key === "End") {
        event.preventDefault();
        focusLink(toggle, -1);
      }
    });

    group.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        event.preventDefault();
        setOpen(toggle, false);
        toggle.focus();
      }
    });

    group.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !group.contains(event.relatedTarget)) {
        setOpen(toggle, false);
      }
    });
  });

  document.addEventListener("click", function (event) {
    if (!nav.contains(event.target)) {
      closeAll(null);
    }
  });
})();
