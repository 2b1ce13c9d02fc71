/**
 * The dashboard page's script (browser JavaScript, inlined by ./dashboard-page.ts). It draws the data
 * embedded in the page and, on a live page, appends every `tick` from /api/events. Plain DOM and SVG,
 * no libraries. Written without backticks: it lives in a template string.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dashboard-data').textContent);
  var WINDOW_MS = 180000, KEEP = 2000;
  var SHAPE = { primary: '●', secondary: '▲', split: '◆', none: '✖' };
  var COLOR = { primary: '#1f5fbf', secondary: '#d9730d', split: '#b3261e', none: '#555' };
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElementNS(tag === 'svg' || attrs.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
    for (var k in attrs) if (k !== 'svg') e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clock(at) { return new Date(at).toLocaleTimeString([], { hour12: false }); }
  function stateText(s) { return (SHAPE[s] || '?') + ' ' + String(s).toUpperCase(); }
  function rows(table, entries) {
    table.replaceChildren();
    entries.forEach(function (e) {
      var tr = el('tr', {});
      tr.appendChild(el('th', { class: 'state-' + e[0] }, stateText(e[0])));
      tr.appendChild(el('td', { class: 'num', 'data-cluster': e[0] }, String(e[1])));
      table.appendChild(tr);
    });
  }
  function drawCurrent() {
    var c = data.current;
    if (!c) return;
    if (document.body.getAttribute('data-active') !== c.activeCluster) document.body.setAttribute('data-active-since', String(c.at));
    document.body.setAttribute('data-active', c.activeCluster);
    var a = $('active');
    a.textContent = stateText(c.activeCluster);
    a.className = 'big state-' + c.activeCluster;
    $('policy').textContent = 'policy: ' + c.policy + ' · read ' + clock(c.at);
    var d = c.decision;
    $('decision').textContent = d ? (d.active ? stateText(d.active) + ': ' : '') + d.reason : (c.policy === 'coherent' ? 'not read yet' : 'per-broker: no controller, each listener follows its own health checks');
    rows($('connections'), ['primary', 'secondary'].map(function (k) { return [k, c.connectionsByCluster[k] || 0]; }));
    var last = data.acks[data.acks.length - 1];
    rows($('ackrate'), ['primary', 'secondary'].map(function (k) { return [k, last ? Math.round(last.byCluster[k] || 0) : '—']; }));
  }
  function span() {
    var r = data.routing;
    if (r.length === 0) return null;
    var end = data.live ? Date.now() : Math.max(r[r.length - 1].at, data.endedAt || 0);
    var start = data.live ? Math.max(r[0].at, end - WINDOW_MS) : r[0].at;
    return { start: start, end: Math.max(end, start + 1000) };
  }
  function defs(svg) {
    var d = el('defs', { svg: 1 });
    d.innerHTML = '<pattern id="hatch" width="12" height="12" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="12" height="12" fill="' + COLOR.secondary + '"/><line x1="0" y1="0" x2="0" y2="12" stroke="#fff" stroke-width="4"/></pattern>' +
      '<pattern id="dots" width="10" height="10" patternUnits="userSpaceOnUse"><rect width="10" height="10" fill="#ddd"/><circle cx="5" cy="5" r="2.5" fill="' + COLOR.none + '"/></pattern>';
    svg.appendChild(d);
  }
  function fill(state) { return state === 'secondary' ? 'url(#hatch)' : state === 'primary' ? COLOR.primary : state === 'split' ? COLOR.split : 'url(#dots)'; }
  function drawLanes() {
    var box = $('lanes'), s = span();
    box.replaceChildren();
    if (!s) return;
    var W = 1200, L = 190, laneH = 54, names = data.listenerNames.concat(['overall']);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + (names.length * laneH + 40), role: 'img', 'aria-label': 'listener routing over time' });
    defs(svg);
    var x = function (t) { return L + (W - L - 10) * (t - s.start) / (s.end - s.start); };
    names.forEach(function (name, i) {
      var y = i * laneH + 4, r = data.routing;
      svg.appendChild(el('text', { svg: 1, x: 4, y: y + 34, 'font-size': 22 }, name));
      var stateAt = function (j) { return i < data.listenerNames.length ? r[j].listeners[i] : r[j].activeCluster; };
      for (var j = 0; j < r.length; j++) {
        var st = stateAt(j), first = j;
        while (j + 1 < r.length && stateAt(j + 1) === st) j++;
        var from = Math.max(r[first].at, s.start), to = j + 1 < r.length ? r[j + 1].at : s.end;
        if (to <= s.start) continue;
        var w = Math.max(1, x(to) - x(from));
        svg.appendChild(el('rect', { svg: 1, x: x(from), y: y, width: w, height: laneH - 10, fill: fill(st), 'data-state': st }));
        if (w > 15 * stateText(st).length) svg.appendChild(el('text', { svg: 1, x: x(from) + 6, y: y + 31, 'font-size': 20, 'font-weight': 700, fill: st === 'none' ? '#000' : '#fff', stroke: st === 'secondary' ? COLOR.secondary : 'none', 'stroke-width': 0.6 }, stateText(st)));
      }
    });
    var axisY = names.length * laneH + 30;
    for (var k = 0; k <= 4; k++) {
      var t = s.start + (s.end - s.start) * k / 4;
      svg.appendChild(el('text', { svg: 1, x: Math.min(x(t), W - 110), y: axisY, 'font-size': 18 }, clock(t)));
    }
    box.appendChild(svg);
  }
  function drawAcks() {
    var box = $('acks'), s = span();
    box.replaceChildren();
    var a = data.acks;
    if (!s || a.length === 0) { box.textContent = data.live ? 'no probe producer (--no-probe), or no acknowledgement yet' : 'no acknowledgements'; return; }
    var W = 1200, H = 200, L = 190;
    var max = 1;
    a.forEach(function (p) { max = Math.max(max, p.byCluster.primary || 0, p.byCluster.secondary || 0); });
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + (H + 10), role: 'img', 'aria-label': 'acknowledgements per second by cluster' });
    var x = function (t) { return L + (W - L - 10) * (t - s.start) / (s.end - s.start); };
    var y = function (v) { return H - (H - 10) * v / max; };
    [['primary', ''], ['secondary', '10 6']].forEach(function (c) {
      var pts = a.filter(function (p) { return p.at >= s.start; }).map(function (p) { return x(p.at).toFixed(1) + ',' + y(p.byCluster[c[0]] || 0).toFixed(1); });
      if (pts.length) svg.appendChild(el('polyline', { svg: 1, points: pts.join(' '), fill: 'none', stroke: COLOR[c[0]], 'stroke-width': 5, 'stroke-dasharray': c[1] }));
    });
    svg.appendChild(el('text', { svg: 1, x: 4, y: 30, 'font-size': 20 }, 'max ' + Math.round(max) + '/s'));
    svg.appendChild(el('text', { svg: 1, x: 4, y: 70, 'font-size': 20, fill: COLOR.primary }, '● primary ——'));
    svg.appendChild(el('text', { svg: 1, x: 4, y: 100, 'font-size': 20, fill: COLOR.secondary }, '▲ secondary - -'));
    box.appendChild(svg);
  }
  function drawLog() {
    var log = $('log');
    log.textContent = data.events.slice(-200).map(function (e) { return clock(e.at) + '  ' + e.message; }).join('\n');
    log.scrollTop = log.scrollHeight;
  }
  function drawSteps() {
    if (!data.steps) return;
    $('steps-box').hidden = false;
    var t = $('steps');
    t.replaceChildren();
    var head = el('tr', {});
    ['step', 'result', 'predicted window', 'measured'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
    t.appendChild(head);
    $('steps-title').textContent = data.stepsTitle || '';
    var RESULT = { passed: ['pass', '✓ passed'], failed: ['fail', '✗ FAILED'], running: ['run', '▶ running…'], pending: ['', '· pending'] };
    data.steps.forEach(function (s) {
      var tr = el('tr', { 'data-status': s.status });
      tr.appendChild(el('td', {}, s.name));
      tr.appendChild(el('td', { class: RESULT[s.status][0] }, RESULT[s.status][1]));
      tr.appendChild(el('td', {}, s.window));
      tr.appendChild(el('td', { class: 'num' }, s.measured));
      t.appendChild(tr);
    });
  }
  function runAction(a) {
    if (!window.confirm(a.confirm)) return;
    $('action-result').textContent = a.label + ': working…';
    fetch('/api/actions/' + encodeURIComponent(a.id), { method: 'POST', headers: { 'X-Failover-Demo': 'action' } })
      .then(function (res) { return res.json().then(function (b) { return { ok: res.ok, body: b }; }); })
      .then(function (r) { $('action-result').textContent = (r.ok ? '✓ ' : '✗ ') + (r.body.lines || [r.body.error]).join(' · '); })
      .catch(function (e) { $('action-result').textContent = '✗ ' + e; });
  }
  function drawActions() {
    if (!data.actions) return;
    $('actions-box').hidden = false;
    var box = $('actions');
    data.actions.forEach(function (a) {
      var b = el('button', { type: 'button', 'data-action': a.id }, a.label);
      b.addEventListener('click', function () { runAction(a); });
      box.appendChild(b);
    });
  }
  function draw() { drawCurrent(); drawLanes(); drawAcks(); drawLog(); $('error').textContent = data.error || ''; }
  function trim(list) { if (list.length > KEEP) list.splice(0, list.length - KEEP); }
  function onTick(t) {
    data.routing.push(t.routing); trim(data.routing);
    data.connections.push(t.connections); trim(data.connections);
    if (t.acks) { data.acks.push(t.acks); trim(data.acks); }
    data.current = t.current;
    data.events = data.events.concat(t.events); trim(data.events);
    data.error = undefined;
    if (t.steps) { data.steps = t.steps; data.stepsTitle = t.stepsTitle; drawSteps(); }
    draw();
  }
  drawSteps(); drawActions(); draw();
  if (data.live && window.EventSource) {
    var source = new EventSource('/api/events');
    source.addEventListener('init', function (m) { var a = data.actions; data = JSON.parse(m.data); data.actions = a; drawSteps(); draw(); });
    source.addEventListener('tick', function (m) { onTick(JSON.parse(m.data)); });
    source.addEventListener('readerror', function (m) { data.error = JSON.parse(m.data).message; draw(); });
    setInterval(function () { drawLanes(); drawAcks(); }, 1000);
  }
})();
`;
