/* concertd — the pages' one script (progressive enhancement: every page
 * works without it). It follows the region's live stream (/events) and,
 * when something changes, reads the page again and puts in place the
 * parts that changed (elements with an id and data-live), then says so
 * to screen readers (#live). EventSource reconnects by itself and sends
 * Last-Event-ID, so no change is missed or shown twice. */
(function () {
  'use strict';
  var main = document.querySelector('main[data-region]');
  if (!main || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var region = main.getAttribute('data-region');
  var live = document.getElementById('live');
  var url = '/events' + (region ? '?region=' + encodeURIComponent(region) : '');
  var source = null;
  var timer = null;
  var fr = document.documentElement.lang !== 'en';

  function refresh() {
    timer = null;
    fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) {
          return;
        }
        var fresh = new DOMParser().parseFromString(text, 'text/html');
        var changed = 0;
        fresh.querySelectorAll('[id][data-live]').forEach(function (part) {
          var here = document.getElementById(part.id);
          if (here && here.outerHTML !== part.outerHTML) {
            here.replaceWith(document.importNode(part, true));
            changed++;
          } else if (!here) {
            changed++; /* a new part: the page's shape changed, take it whole */
            main.replaceWith(document.importNode(fresh.querySelector('main'), true));
          }
        });
        if (changed && live) {
          live.textContent = (fr ? 'Mis à jour à ' : 'Updated at ') + new Date().toLocaleTimeString();
        }
      })
      .catch(function () { /* the next change tries again */ });
  }

  function changed() {
    if (!timer) {
      timer = window.setTimeout(refresh, 150); /* a burst of events, one reading */
    }
  }

  function open() {
    source = new EventSource(url);
    source.onmessage = changed;
  }

  /* A browser opens at most six connections to a site: a page left behind
   * (kept in the back-forward cache) gives its stream back, and a page
   * shown again reads itself anew. */
  window.addEventListener('pagehide', function () {
    if (source) {
      source.close();
      source = null;
    }
  });
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && !source) {
      open();
      changed();
    }
  });
  open();
}());
