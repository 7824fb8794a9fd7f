// omswatch console: new events appear without a reload (server-sent
// events). Everything from the server is set as text, never as HTML.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var state = document.getElementById("live-state");
  var project = document.getElementById("project");
  var id = project ? project.getAttribute("data-project") : "";
  var es = new EventSource("/live" + (id ? "?project=" + encodeURIComponent(id) : ""));
  es.onopen = function () { if (state) { state.textContent = "live: on"; state.className = "live on"; } };
  es.onerror = function () { if (state) { state.textContent = "live: reconnecting"; state.className = "live"; } };
  function text(tag, cls, s) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = s;
    return el;
  }
  es.addEventListener("oms-event", function (msg) {
    var e = JSON.parse(msg.data);
    var li = document.createElement("li");
    li.className = "sev-" + e.severity + " fresh";
    li.id = "ev-" + e.id;
    if (document.getElementById(li.id)) { return; }
    li.appendChild(text("time", "", e.time.replace("T", " ").replace("Z", " UTC")));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text("span", "sev", e.severity));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text("code", "", e.type));
    li.appendChild(document.createTextNode(" "));
    if (!id) {
      var a = text("a", "", e.name || e.project);
      a.href = "/projects/" + encodeURIComponent(e.project);
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
    }
    li.appendChild(document.createTextNode(e.summary));
    // The fleet's row of the project takes its new status at once.
    var row = document.querySelector('tr[data-project="' + CSS.escape(e.project) + '"]');
    if (row && e.status) {
      var st = row.querySelector("span.status");
      if (st && st.textContent !== e.status) {
        st.textContent = e.status;
        st.className = "status s-" + e.status.toLowerCase();
        row.className = "fresh";
      }
    }
    var list = document.getElementById(id ? "timeline" : "live-list");
    if (!list) { return; }
    var empty = document.getElementById("timeline-empty");
    if (empty) { empty.remove(); }
    var box = document.getElementById("live-fleet");
    if (box) { box.hidden = false; }
    list.insertBefore(li, list.firstChild);
    while (!id && list.children.length > 20) { list.removeChild(list.lastChild); }
  });
})();
