/* newsdesk: apply the reader's theme choice before the page paints (loaded in <head>, not deferred, so
   there is no flash of the wrong theme). "light" or "dark" from localStorage becomes data-theme on
   <html>; without a choice the stylesheet follows prefers-color-scheme. */
(function () {
  try {
    var theme = localStorage.getItem("newsdesk-theme");
    if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
  } catch (e) { /* storage refused (private mode): follow the system */ }
})();
