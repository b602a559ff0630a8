// pgferry dashboard: polls /api/status and /api/history every second and redraws.
// Everything comes from this server; text is always set through textContent, never as HTML.
(function () {
  'use strict';

  // The token comes in the URL's fragment (#token=...), which the browser never sends to a server:
  // kept for this tab in sessionStorage, wiped from the address bar, sent as a header only.
  const fromFragment = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  if (fromFragment) {
    sessionStorage.setItem('pgferry-token', fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem('pgferry-token');
  const authHeaders = token ? { 'Authorization': 'Bearer ' + token } : {};
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  let tableSort = { key: 'name', dir: 1 };
  let lastTables = [];

  function bytes(n) {
    if (n === null || n === undefined) return '-';
    if (n < 1024) return Math.round(n) + ' B';
    const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
    let v = n, i = -1;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  }
  function duration(s) {
    if (s === null || s === undefined) return '-';
    if (s < 60) return s.toFixed(1) + 's';
    const m = Math.floor(s / 60);
    if (s < 3600) return m + 'm' + String(Math.floor(s % 60)).padStart(2, '0') + 's';
    return Math.floor(s / 3600) + 'h' + String(m % 60).padStart(2, '0') + 'm';
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function setText(id, text) { $(id).textContent = text === null || text === undefined ? '-' : String(text); }
  function bar(done, total, percent, label) {
    const b = el('div', null, 'bar');
    const f = el('div', null, 'fill');
    const p = percent !== null && percent !== undefined ? percent : (total > 0 ? 100 * done / total : 0);
    f.style.width = Math.max(0, Math.min(100, p)) + '%';
    if (p >= 100) b.classList.add('done');
    b.appendChild(f);
    b.appendChild(el('span', label, 'label'));
    return b;
  }

  function renderRun(s) {
    const r = s.run;
    setText('run-id', r.id); setText('run-method', r.method); setText('run-phase', r.phase);
    setText('run-elapsed', duration(r.elapsedSeconds));
    setText('run-source', r.source); setText('run-target', r.target);
    const st = $('run-status');
    st.textContent = r.status; st.className = 'status ' + r.status;
    document.title = 'pgferry ' + r.status + ' ' + (r.phase || '');
  }

  function renderProgress(s) {
    const o = s.overall, box = $('overall-progress');
    const done = o ? o.done : 0, total = o ? o.total : 0;
    const percent = o && o.percent !== null ? o.percent : null;
    box.dataset.done = done; box.dataset.total = total;
    box.dataset.bytesDone = o ? o.bytesDone : 0; box.dataset.bytesTotal = o ? o.bytesTotal : 0;
    box.dataset.percent = percent === null ? '' : percent.toFixed(1);
    box.querySelector('.fill').style.width = (percent || 0) + '%';
    box.classList.toggle('done', percent !== null && percent >= 100);
    let label = o ? done + (total > 0 ? '/' + total : '') + ' ' + o.unit : 'waiting for progress';
    if (o && o.bytesDone > 0) label += ' · ' + bytes(o.bytesDone) + (o.bytesTotal > 0 ? ' of ~' + bytes(o.bytesTotal) : '');
    if (percent !== null) label += ' · ' + percent.toFixed(1) + '%';
    box.querySelector('.label').textContent = label;
    setText('overall-phase', o ? o.phase : '');
    const rate = s.rates.bytesPerSecond;
    $('rate').dataset.value = rate === null ? '' : rate;
    setText('rate', rate === null ? '-' : bytes(rate) + '/s');
    $('eta').dataset.value = s.etaSeconds === null ? '' : s.etaSeconds;
    setText('eta', s.etaSeconds === null ? '-' : duration(s.etaSeconds));
    const t = s.totals;
    $('tables-done').dataset.done = t.tablesDone; $('tables-done').dataset.total = t.tablesTotal;
    setText('tables-done', t.tablesDone + '/' + t.tablesTotal);
    setText('steps-done', t.stepsDone + '/' + t.stepsTotal);
    $('bytes-copied').dataset.value = t.bytes; setText('bytes-copied', bytes(t.bytes) + (t.rows > 0 ? ', ' + t.rows + ' rows' : ''));
    $('retries').dataset.value = s.retries; setText('retries', s.retries);
    $('errors').dataset.value = s.errors; setText('errors', s.errors);
  }

  function renderLag(s) {
    const l = s.lag;
    $('lag-bytes').dataset.value = l ? l.lagBytes : '';
    $('lag-seconds').dataset.value = l ? l.lagSeconds : '';
    setText('lag-bytes', l ? bytes(l.lagBytes) : (s.run.method === 'dump' ? 'n/a' : '-'));
    setText('lag-seconds', l ? l.lagSeconds.toFixed(1) + ' s' + (l.backlog ? ', backlog ' + l.backlog.rows + ' change(s)' : '')
        : (s.run.method === 'dump' ? 'no change stream with method dump' : ''));
    setText('applied-lsn', l ? l.appliedLsn : '-'); setText('source-lsn', l ? l.sourceLsn : '-');
    setText('applied-xacts', l ? l.appliedTransactions : '-');
    renderSlots(s);
  }

  /** The WAL the run's slots keep on the source: what fills its disk when the stream stalls. */
  function renderSlots(s) {
    const box = $('slot-wal');
    const slots = s.slots || [];
    box.hidden = slots.length === 0;
    box.dataset.value = slots.reduce((sum, x) => sum + (x.retainedBytes || 0), 0);
    box.classList.toggle('error', slots.some(x => x.dropped || x.walStatus === 'lost'
        || (x.limitBytes && x.retainedBytes >= x.limitBytes / 2)));
    box.textContent = slots.map(x => x.dropped ? 'slot ' + x.slot + ' dropped (retained too much WAL): redo the copy'
        : 'slot ' + x.slot + ' retains ' + (x.retainedBytes === null ? '-' : bytes(x.retainedBytes)) + ' of WAL'
          + (x.walStatus ? ' (' + x.walStatus + ')' : '')
          + (x.limitBytes ? ', limit ' + bytes(x.limitBytes) : '')
          + (x.safeWalSize === null ? ', no max_slot_wal_keep_size' : ', ' + bytes(x.safeWalSize) + ' safe')).join(' · ');
  }

  function renderNext(s) {
    setText('next-step', s.nextStep);
    const c = $('cutover-command');
    c.hidden = !s.cutoverCommand; c.textContent = s.cutoverCommand || '';
    const e = $('last-error');
    e.hidden = !s.lastError; e.textContent = s.lastError ? 'last error: ' + s.lastError : '';
  }

  function renderTimeline(s) {
    const box = $('timeline');
    box.replaceChildren();
    const now = Date.parse(s.generatedAt);
    const start = Date.parse(s.run.createdAt);
    const steps = s.steps.filter(x => x.startedAt);
    const end = Math.max(now, ...steps.map(x => x.finishedAt ? Date.parse(x.finishedAt) : now));
    const span = Math.max(1, end - start);
    if (steps.length === 0) box.appendChild(el('p', 'no step started yet', 'muted'));
    for (const st of steps) {
      const row = el('div', null, 'row');
      row.dataset.step = st.name; row.dataset.status = st.status;
      row.appendChild(el('span', st.name));
      const track = el('div', null, 'track');
      const seg = el('div', null, 'seg ' + st.status);
      const a = Date.parse(st.startedAt), b = st.finishedAt ? Date.parse(st.finishedAt) : now;
      seg.style.left = (100 * (a - start) / span) + '%';
      seg.style.width = (100 * Math.max(0, b - a) / span) + '%';
      seg.title = st.name + ' ' + st.status + (st.detail ? ': ' + st.detail : '');
      track.appendChild(seg);
      row.appendChild(track);
      row.appendChild(el('span', st.status === 'running' ? 'running ' + duration(st.durationSeconds) : duration(st.durationSeconds), 'muted small'));
      box.appendChild(row);
    }
  }

  function renderPhases(s) {
    const body = $('phases').querySelector('tbody');
    body.replaceChildren();
    for (const p of s.phases) {
      const tr = el('tr');
      tr.dataset.phase = p.name;
      tr.appendChild(el('td', p.name));
      const td = el('td');
      td.appendChild(bar(p.done, p.total, p.percent, p.percent === null ? '' : p.percent.toFixed(0) + '%'));
      tr.appendChild(td);
      tr.appendChild(el('td', p.done + (p.total > 0 ? '/' + p.total : '') + ' ' + p.unit));
      tr.appendChild(el('td', bytes(p.bytesDone) + (p.bytesTotal > 0 ? ' of ~' + bytes(p.bytesTotal) : '')));
      tr.appendChild(el('td', p.bytesPerSecond === null ? '-' : bytes(p.bytesPerSecond) + '/s'));
      tr.appendChild(el('td', p.etaSeconds === null ? '-' : duration(p.etaSeconds)));
      body.appendChild(tr);
    }
  }

  function sortValue(t, key) {
    switch (key) {
      case 'name': return t.schema + '.' + t.table;
      case 'progress': return t.partsDone / Math.max(1, t.partsTotal);
      default: return t[key] === null ? '' : t[key];
    }
  }

  function renderTables() {
    const body = $('tables').querySelector('tbody');
    body.replaceChildren();
    const rows = lastTables.slice().sort((a, b) => {
      const x = sortValue(a, tableSort.key), y = sortValue(b, tableSort.key);
      return (x < y ? -1 : x > y ? 1 : 0) * tableSort.dir;
    });
    for (const t of rows) {
      const tr = el('tr');
      tr.dataset.table = t.schema + '.' + t.table;
      tr.appendChild(el('td', t.schema + '.' + t.table));
      tr.appendChild(el('td', t.status));
      const td = el('td');
      td.appendChild(bar(t.partsDone, t.partsTotal, null, t.partsDone + '/' + t.partsTotal));
      tr.appendChild(td);
      tr.appendChild(el('td', t.rows, 'num'));
      tr.appendChild(el('td', bytes(t.bytes), 'num'));
      tr.appendChild(el('td', t.lsn || '-'));
      body.appendChild(tr);
    }
    for (const th of $('tables').querySelectorAll('th')) {
      th.classList.toggle('asc', th.dataset.key === tableSort.key && tableSort.dir > 0);
      th.classList.toggle('desc', th.dataset.key === tableSort.key && tableSort.dir < 0);
    }
  }

  function renderTableList(s) {
    lastTables = s.tables;
    setText('tables-count', s.tables.length ? s.totals.tablesDone + ' of ' + s.tables.length + ' done' : '');
    const empty = $('tables-empty');
    empty.hidden = s.tables.length > 0;
    empty.textContent = 'method ' + s.run.method + ' records no per-table parts; tables: ' + s.totals.tablesDone + '/' + s.totals.tablesTotal;
    renderTables();
  }

  function renderEvents(s) {
    const list = $('events');
    list.replaceChildren();
    for (const e of s.events.slice().reverse()) {
      const li = el('li', null, 'level-' + e.level);
      li.dataset.id = e.id;
      li.appendChild(el('span', new Date(e.at).toLocaleTimeString() + ' ', 'muted'));
      li.appendChild(el('span', e.level + ' ', 'level'));
      li.appendChild(el('span', e.message));
      list.appendChild(li);
    }
  }

  // A line chart on a 600x180 canvas: the area under the line, a max label and the time span.
  function chart(svg, points, value, format, cls) {
    svg.replaceChildren();
    const pts = points.filter(p => value(p) !== null && value(p) !== undefined);
    svg.dataset.points = pts.length;
    const W = 600, H = 180, PAD = 16;
    for (const f of [0.25, 0.5, 0.75]) {
      const g = document.createElementNS(SVG, 'line');
      g.setAttribute('x1', 0); g.setAttribute('x2', W); g.setAttribute('y1', H * f); g.setAttribute('y2', H * f);
      g.setAttribute('class', 'grid');
      svg.appendChild(g);
    }
    if (pts.length < 2) {
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', 10); t.setAttribute('y', 20); t.textContent = 'no samples yet';
      svg.appendChild(t);
      return;
    }
    const t0 = Date.parse(pts[0].at), t1 = Date.parse(pts[pts.length - 1].at);
    const max = Math.max(1e-9, ...pts.map(value));
    const xy = pts.map(p => [(W * (Date.parse(p.at) - t0) / Math.max(1, t1 - t0)).toFixed(1),
      (H - PAD - (H - 2 * PAD) * value(p) / max).toFixed(1)]);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', xy.map(p => p.join(',')).join(' '));
    line.setAttribute('class', 'line ' + cls);
    const area = document.createElementNS(SVG, 'polygon');
    area.setAttribute('points', '0,' + (H - PAD) + ' ' + xy.map(p => p.join(',')).join(' ') + ' ' + xy[xy.length - 1][0] + ',' + (H - PAD));
    area.setAttribute('class', 'area ' + cls);
    svg.appendChild(area);
    svg.appendChild(line);
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', 6); label.setAttribute('y', 12);
    label.textContent = 'max ' + format(max) + ' · last ' + format(value(pts[pts.length - 1])) + ' · ' + duration((t1 - t0) / 1000);
    svg.appendChild(label);
  }

  function renderHistory(h) {
    const pts = h.points || [];
    chart($('chart-throughput'), pts, p => p.bytesPerSecond, v => bytes(v) + '/s', 'rate');
    chart($('chart-lag'), pts, p => p.lagBytes, v => bytes(v), 'lag');
  }

  function renderAssessment(a) {
    const box = $('assessment');
    box.replaceChildren();
    if (!a) {
      box.appendChild(el('p', 'no assessment (run pgferry assess --dir with this work dir to show one here)', 'muted'));
      box.dataset.present = 'false';
      return;
    }
    box.dataset.present = 'true';
    const count = (sev) => (a.findings || []).filter(f => f.severity === sev).length;
    box.appendChild(el('p', count('BLOCKER') + ' blocker(s), ' + count('WARNING') + ' warning(s), ' + count('UNKNOWN')
      + ' unknown, ' + count('INFO') + ' info'));
    if (a.recommendation) {
      box.appendChild(el('p', 'recommended method: ' + a.recommendation.method + ': ' + a.recommendation.reason));
    }
    const ul = el('ul', null, 'findings');
    for (const f of (a.findings || []).filter(f => f.severity !== 'INFO')) {
      ul.appendChild(el('li', '[' + f.severity.toLowerCase() + '] ' + f.what, 'sev-' + f.severity.toLowerCase()));
    }
    box.appendChild(ul);
  }

  async function getJson(path) {
    const r = await fetch(path, { cache: 'no-store', headers: authHeaders });
    if (r.status === 404) return null;
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }

  async function tick() {
    try {
      const s = await getJson('api/status');
      const conn = $('connection');
      if (!s) { conn.textContent = 'no migration in this work dir yet'; return; }
      renderRun(s); renderProgress(s); renderLag(s); renderNext(s); renderTimeline(s); renderPhases(s);
      renderTableList(s); renderEvents(s);
      $('updated-at').dataset.generated = s.generatedAt;
      setText('updated-at', new Date(s.generatedAt).toLocaleTimeString());
      conn.textContent = 'live'; conn.classList.remove('lost');
      const h = await getJson('api/history');
      if (h) renderHistory(h);
    } catch (e) {
      const conn = $('connection');
      conn.textContent = 'connection lost: ' + e.message; conn.classList.add('lost');
    }
  }

  async function start() {
    for (const th of $('tables').querySelectorAll('th')) {
      th.addEventListener('click', () => {
        tableSort = { key: th.dataset.key, dir: tableSort.key === th.dataset.key ? -tableSort.dir : 1 };
        renderTables();
      });
    }
    // plain links: a token never goes into a URL (a browser following them sends no header,
    // so with a token they answer 401; scrapers send it as a bearer token)
    $('metrics-link').href = 'metrics';
    $('status-link').href = 'api/status';
    try { renderAssessment(await getJson('api/assessment')); } catch (e) { renderAssessment(null); }
    await tick();
    setInterval(tick, 1000);
  }

  document.addEventListener('DOMContentLoaded', start);
})();
