// relapse dashboard: the Acknowledge form and the timeline chart. Loaded as a file (the CSP allows no inline
// script); builds DOM with textContent only, never innerHTML, so nothing from the data can become markup.
(function () {
  'use strict';

  var TOKEN_KEY = 'relapse.token';

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  // ---- acknowledge ------------------------------------------------------------------------------

  function setupAck() {
    var form = document.getElementById('ack-form');
    if (!form) return;
    var reason = form.elements.namedItem('reason');
    var by = form.elements.namedItem('by');
    var token = form.elements.namedItem('token');
    var button = document.getElementById('ack-submit');
    var msg = document.getElementById('ack-msg');
    var store = storage();
    if (store && store.getItem(TOKEN_KEY)) token.value = store.getItem(TOKEN_KEY);
    if (store && store.getItem(TOKEN_KEY + '.by')) by.value = store.getItem(TOKEN_KEY + '.by');

    function say(text, kind) {
      msg.textContent = text;
      msg.className = 'notice ' + (kind || '');
    }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var r = reason.value.trim();
      var t = token.value.trim();
      if (!r) { say('Give a reason.', 'error'); reason.focus(); return; }
      if (!t) { say('The API token is needed to acknowledge.', 'error'); token.focus(); return; }
      if (store) {
        store.setItem(TOKEN_KEY, t);
        if (by.value.trim()) store.setItem(TOKEN_KEY + '.by', by.value.trim());
      }
      var body = { reason: r };
      if (by.value.trim()) body.by = by.value.trim();
      button.disabled = true;
      say('Sending…', '');
      fetch(form.getAttribute('data-endpoint'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + t, accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      }).then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          return { res: res, data: data };
        });
      }).then(function (x) {
        button.disabled = false;
        if (x.res.ok) {
          var reg = x.data && x.data.regression ? x.data.regression : x.data;
          var status = (reg && reg.status) || 'acknowledged';
          var ack = (reg && reg.acknowledged) || { reason: r, by: body.by || null, at: new Date().toISOString() };
          showAck(status, ack);
          say('Acknowledged.', 'ok');
          return;
        }
        if (x.res.status === 401 || x.res.status === 403) {
          if (store) store.removeItem(TOKEN_KEY);
          say('The token was refused (' + x.res.status + '). Check it and try again.', 'error');
          token.focus();
          return;
        }
        say('Could not acknowledge: ' + ((x.data && x.data.message) || x.res.status + ' ' + x.res.statusText), 'error');
      }).catch(function (e) {
        button.disabled = false;
        say('Could not reach the server: ' + e.message, 'error');
      });
    });
  }

  function showAck(status, ack) {
    var badge = document.querySelector('#reg-status .badge');
    if (badge) {
      badge.textContent = status;
      badge.className = 'badge ' + status;
      badge.setAttribute('data-status', status);
    }
    var text = document.getElementById('reg-status-text');
    if (text) text.textContent = status;
    var a = document.getElementById('reg-ack');
    if (a) {
      a.textContent = ack.reason + ' ';
      var meta = document.createElement('span');
      meta.className = 'muted small';
      meta.textContent = (ack.by ? 'by ' + ack.by + ', ' : '') + String(ack.at || '').slice(0, 16).replace('T', ' ');
      a.appendChild(meta);
    }
    var h = document.getElementById('ack-h');
    if (h) h.textContent = 'Update the acknowledgement';
  }

  // ---- timeline chart ---------------------------------------------------------------------------

  var COLORS = {
    'init|added': '#1d7a3a', 'init|removed': '#c0392b',
    'shutdown|added': '#1f5fbf', 'shutdown|removed': '#d9822b',
    'other|added': '#6b7280', 'other|removed': '#9b59b6',
  };
  var SPARE = ['#0e7490', '#a16207', '#be185d', '#4d7c0f', '#7c3aed', '#b91c1c'];

  function setupChart() {
    var holder = document.getElementById('timeline-chart');
    var dataEl = document.getElementById('timeline-data');
    if (!holder || !dataEl || typeof window.uPlot !== 'function') return;
    var d;
    try { d = JSON.parse(dataEl.textContent || '{}'); } catch (e) { return; }
    if (!d.x || !d.x.length) return;
    var hover = document.getElementById('timeline-hover');
    var spare = 0;
    var series = [{ label: 'date' }];
    d.series.forEach(function (s) {
      var color = COLORS[s.path + '|' + s.op] || SPARE[spare++ % SPARE.length];
      series.push({
        label: s.label,
        stroke: color,
        width: 0,
        paths: function () { return null; },
        points: { show: true, size: 9, width: 1.5, stroke: color, fill: s.op === 'removed' ? '#ffffff' : color },
        value: function (u, v) { return v == null ? '–' : String(Math.abs(v)); },
      });
    });
    var data = [d.x].concat(d.series.map(function (s) { return s.values; }));
    function width() { return Math.max(260, holder.clientWidth - 20); }
    function height() { return window.innerWidth < 600 ? 260 : 340; }
    var u = new window.uPlot({
      width: width(),
      height: height(),
      scales: {
        x: { time: true, range: function (u, min, max) { var pad = Math.max(86400, (max - min) * 0.02); return [min - pad, max + pad]; } },
        y: { range: function (u, min, max) { return [Math.min(-1, min == null ? 0 : min) - 0.6, Math.max(1, max == null ? 0 : max) + 0.6]; } },
      },
      series: series,
      axes: [
        {},
        { label: 'calls (removed below 0)', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], values: function (u, vals) { return vals.map(function (v) { return String(Math.abs(v)); }); } },
      ],
      cursor: { focus: { prox: 24 }, drag: { x: true, y: false } },
      legend: { live: true },
      hooks: {
        setCursor: [function (u) {
          var i = u.cursor.idx;
          if (hover) hover.textContent = i == null ? '' : d.patches[i].date + ' · ' + d.patches[i].subject;
        }],
      },
    }, data, holder);
    u.root.setAttribute('aria-hidden', 'true');

    // a click near a point opens its patch (a drag zooms instead)
    var down = null;
    u.over.addEventListener('mousedown', function (e) { down = [e.clientX, e.clientY]; });
    u.over.addEventListener('click', function (e) {
      if (down && (Math.abs(e.clientX - down[0]) > 4 || Math.abs(e.clientY - down[1]) > 4)) return;
      var i = u.cursor.idx;
      if (i == null) return;
      var left = u.cursor.left, top = u.cursor.top;
      var px = u.valToPos(d.x[i], 'x');
      if (Math.abs(px - left) > 14) return;
      var near = false;
      for (var s = 1; s < data.length; s++) {
        var v = data[s][i];
        if (v != null && Math.abs(u.valToPos(v, 'y') - top) <= 16) near = true;
      }
      if (near) window.location.href = d.patches[i].href;
    });
    u.over.classList.add('clickable');
    var pending = null;
    window.addEventListener('resize', function () {
      if (pending) return;
      pending = window.requestAnimationFrame(function () {
        pending = null;
        u.setSize({ width: width(), height: height() });
      });
    });
    window.relapseChart = u;
  }

  function start() {
    setupAck();
    setupChart();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
