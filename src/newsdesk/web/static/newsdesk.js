/* newsdesk: the pages' behaviour, all optional (every page works without it). Loaded deferred; no inline
   script or handler anywhere, so a strict Content-Security-Policy holds.
   - the theme toggle: system → light → dark, remembered in localStorage (theme.js applies it early);
   - keyboard: j/k move between the items of a list, o (or Enter) opens one, / goes to search, ? lists keys;
   - share: "Copy the story link" (clipboard) and "Share" (the Web Share API, on phones), feedback spoken
     through the page's aria-live region. */
(function () {
  "use strict";
  var root = document.documentElement;
  var announce = function (text) {
    var live = document.getElementById("announce");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  };

  /* theme */
  var order = ["system", "light", "dark"];
  var toggle = document.getElementById("theme-toggle");
  var current = function () { return root.getAttribute("data-theme") || "system"; };
  var showTheme = function () {
    if (!toggle) return;
    var label = toggle.getAttribute("data-label-" + current()) || current();
    toggle.textContent = label;
  };
  if (toggle) {
    toggle.hidden = false;
    showTheme();
    toggle.addEventListener("click", function () {
      var next = order[(order.indexOf(current()) + 1) % order.length];
      try {
        if (next === "system") localStorage.removeItem("newsdesk-theme");
        else localStorage.setItem("newsdesk-theme", next);
      } catch (e) { /* not remembered, still applied */ }
      if (next === "system") root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", next);
      showTheme();
      announce(toggle.textContent);
    });
  }

  /* "Install the app": the browser offers it (beforeinstallprompt, where it can install the manifest's app) */
  var install = document.getElementById("install-app");
  var offer = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    offer = event;
    if (install) install.hidden = false;
  });
  window.addEventListener("appinstalled", function () {
    offer = null;
    if (install) install.hidden = true;
  });
  if (install) {
    install.addEventListener("click", function () {
      if (!offer) return;
      offer.prompt();
      offer.userChoice.then(function () { offer = null; install.hidden = true; });
    });
  }

  /* keyboard navigation */
  var items = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-nav]")); };
  var currentItem = null;
  /* an item's headline link (a list selector would give the first link in the document: the category's) */
  var headline = function (item) {
    return item.querySelector("h2 a[href], h3 a[href]") || item.querySelector("a[href]");
  };
  var select = function (item) {
    if (currentItem) currentItem.classList.remove("is-current");
    currentItem = item;
    item.classList.add("is-current");
    var link = headline(item);
    if (link) link.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };
  var typing = function (el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var list = items();
    var at = currentItem ? list.indexOf(currentItem) : -1;
    if (event.key === "j" || event.key === "k") {
      if (!list.length) return;
      var next = event.key === "j" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
      select(list[next]);
      event.preventDefault();
    } else if (event.key === "o" && currentItem) {
      var link = headline(currentItem);
      if (link) link.click();
    } else if (event.key === "/") {
      var search = document.getElementById("search-q");
      if (search) { search.focus(); event.preventDefault(); }
    } else if (event.key === "?") {
      var keys = document.querySelector("footer .keys");
      if (keys) { keys.scrollIntoView({ block: "center" }); announce(keys.textContent); }
    }
  });
  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest("[data-nav]");
    if (item && item !== currentItem) {
      if (currentItem) currentItem.classList.remove("is-current");
      currentItem = item;
      item.classList.add("is-current");
    }
  });

  /* share */
  Array.prototype.forEach.call(document.querySelectorAll(".share"), function (box) {
    var url = box.getAttribute("data-share-url");
    var title = box.getAttribute("data-share-title") || document.title;
    var copy = box.querySelector(".copy-link");
    var share = box.querySelector(".web-share");
    if (copy && navigator.clipboard) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(
          function () { announce(box.getAttribute("data-copied")); copy.classList.add("done"); },
          function () { announce(box.getAttribute("data-copy-failed")); }
        );
      });
    }
    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: title, url: url }).catch(function () { /* the reader closed the sheet */ });
      });
    }
  });
})();
