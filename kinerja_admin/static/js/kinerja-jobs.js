/* Progress of background jobs: every .job-progress[data-active=true] polls its status.json and
   updates its bar; when a job ends the page reloads once to show the result and the download.
   A static file (no inline script): the Content-Security-Policy stays as it is. */
(function () {
  'use strict';
  var fmt = new Intl.NumberFormat('id-ID');
  function update(el, s) {
    var bar = el.querySelector('.progress-bar');
    var stage = el.querySelector('.job-stage');
    var count = el.querySelector('.job-count');
    var pct = (s.percent === null || s.percent === undefined) ? (s.active ? 100 : 0) : s.percent;
    bar.style.width = pct + '%';
    bar.setAttribute('aria-valuenow', pct);
    stage.textContent = s.status_label + (s.stage && s.active ? ': ' + s.stage : '');
    count.textContent = s.total ? fmt.format(s.done) + ' dari ' + fmt.format(s.total) : '';
  }
  function poll(el) {
    var url = el.getAttribute('data-status-url');
    fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        update(el, s);
        if (s.active) {
          window.setTimeout(function () { poll(el); }, 1500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(function () { poll(el); }, 5000); });
  }
  document.querySelectorAll('.job-progress[data-active="true"]').forEach(function (el) {
    window.setTimeout(function () { poll(el); }, 1000);
  });
}());
