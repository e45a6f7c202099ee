// gitcanary UI: keeps an open page current. The server sends the branch's
// head when it changes; on a head this page has not shown, the page is read
// again and swapped in place, without a reload.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch) {
    return;
  }
  var latest = document.body.dataset.head;
  var busy = false;

  function refresh() {
    if (busy || latest === document.body.dataset.head) {
      return;
    }
    busy = true;
    var want = latest;
    fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (res) {
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("page");
        if (next) {
          document.getElementById("page").replaceWith(document.adoptNode(next));
          document.title = doc.title;
          document.body.dataset.head = doc.body.dataset.head || want;
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        refresh();
      });
  }

  var events = new EventSource("/events");
  events.addEventListener("head", function (e) {
    latest = e.data;
    refresh();
  });
})();
