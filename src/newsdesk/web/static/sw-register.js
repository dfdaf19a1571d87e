// Registers the service worker (/sw.js) that keeps opened pages readable offline.
// The worker's URL carries this script's ?v= (newsdesk's version), so an upgrade installs a new
// worker and its activation drops the caches of the old one.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !document.currentScript) return;
  var version = new URL(document.currentScript.src).searchParams.get("v") || "0";
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js?v=" + encodeURIComponent(version), { scope: "/" }).catch(function () {
      // No worker (a private window, an http origin other than localhost): the site works without it.
    });
  });
})();
