// Tem dashboard: fills the server-rendered frame from the live stream (server-sent events).
// Every value from the database goes into the page as text (textContent, attributes via setAttribute):
// nothing here ever parses HTML, so payloads and errors full of markup stay inert.
'use strict';

(() => {
  const body = document.body;
  const base = body.dataset.base || '';
  const canWrite = body.dataset.canWrite === 'true';
  const token = document.querySelector('meta[name="tem-token"]')?.content || '';
  const SVG = 'http://www.w3.org/2000/svg';
  let clockOffset = 0; // server now − local now, so ages are right even when the clocks differ
  let latest = null;

  // ---- small DOM helpers ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }
  const $ = (id) => document.getElementById(id);
  const fmt = new Intl.NumberFormat('en-US');
  const num = (n) => fmt.format(n);
  function duration(ms) {
    if (ms < 0) ms = 0;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h} h ${m % 60} min`;
    return `${Math.floor(h / 24)} d ${h % 24} h`;
  }
  function dateTime(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  const serverNow = () => Date.now() + clockOffset;
  const link = (href, text) => el('a', { href }, text);
  const batchUrl = (id) => `${base}/batches/${id}`;
  const taskUrl = (id) => `${base}/tasks/${id}`;
  function replaceRows(tbody, rows, empty, columns) {
    tbody.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: columns, class: 'muted' }, empty))]));
  }

  // ---- shared pieces ----
  const SEGMENTS = ['completed', 'failed', 'cancelled', 'running', 'pending'];
  function progressBar(counts, big) {
    const bar = el('div', { class: big ? 'progress big' : 'progress', role: 'img' });
    const total = counts.total || 0;
    const done = counts.completed + counts.failed + counts.cancelled;
    bar.setAttribute('aria-label', `${num(done)} of ${num(total)} done`);
    bar.title = SEGMENTS.map((s) => `${s} ${num(counts[s])}`).join(' · ');
    for (const s of SEGMENTS) {
      if (!total || !counts[s]) continue;
      const seg = el('span', { class: `seg ${s}` });
      seg.style.width = `${(100 * counts[s]) / total}%`;
      bar.append(seg);
    }
    if (!total) bar.append(el('span', { class: 'empty' }, 'no tasks'));
    return bar;
  }
  const percent = (c) => (c.total ? Math.floor((100 * (c.completed + c.failed + c.cancelled)) / c.total) : 0);
  // A batch that ended with failed tasks says so ("completed with 100 failed"), as the CLI does: "completed" alone reads
  // as all done well. The JSON keeps the plain status; only the words shown change.
  const endedWithFailures = (status, counts) => counts && counts.failed > 0 && (status === 'completed' || status === 'interrupted');
  const statusText = (status, counts) => (endedWithFailures(status, counts) ? `${status} with ${num(counts.failed)} failed` : status);
  const badgeClass = (status, counts) => `badge ${status}${endedWithFailures(status, counts) ? ' with-failed' : ''}`;
  const badge = (status, counts) => el('span', { class: badgeClass(status, counts), 'data-status': status }, statusText(status, counts));
  const countCells = (c) => ['pending', 'running', 'completed', 'failed', 'cancelled'].map((s) =>
    el('td', { class: `num c-${s}${c[s] ? ' nonzero' : ''}`, 'data-count': s }, num(c[s])));

  function card(label, value, note, tone) {
    return el('div', { class: `card ${tone || ''}` }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), el('div', { class: 'note' }, note || ''));
  }

  function renderPacing(pacing, worker, shared) {
    const box = $('pacing');
    if (!box) return;
    if (!shared) return; // an old snapshot: keeps the server's text
    if (!pacing && !worker && !shared.length) {
      box.replaceChildren(el('p', { class: 'muted' }, 'The store holds no shared limits. Per-process limits are not known here: this dashboard does not run inside the worker\'s host.'));
      return;
    }
    const list = el('dl', { class: 'facts compact' });
    const add = (name, value) => list.append(el('div', {}, el('dt', {}, name), el('dd', {}, value)));
    const windowText = (w) => `${num(w.permits)} per ${w.seconds === 1 ? 'second' : w.seconds === 60 ? 'minute' : w.seconds === 3600 ? 'hour' : `${w.seconds} s`}`;
    if (pacing) {
      add('Requests', pacing.requests.length ? pacing.requests.map(windowText).join(', ') : 'no limit');
      add('Tokens', pacing.tokens.length ? pacing.tokens.map(windowText).join(', ') : 'no limit');
      if (pacing.concurrency != null) add('Concurrency', `${pacing.concurrency}${pacing.adaptive ? ' (adaptive)' : ''}`);
    }
    if (worker) {
      add('Worker', worker.running ? 'running in this process' : 'stopped');
      add('In flight', `${worker.inFlight} of ${worker.effectiveConcurrency} allowed now`);
      add('Handles', worker.taskTypes.join(', ') || '—');
    }
    // What the store holds for every process: limits shared under a name (per-limit-group state joins these rows).
    for (const l of shared) {
      const paused = l.pausedUntil && l.pausedUntil > serverNow() ? `paused ${duration(l.pausedUntil - serverNow())} more` : 'not paused';
      add(`Shared “${l.name}”`, `${num(l.startsLastMinute)} starts last minute, ${paused}`);
    }
    box.replaceChildren(list);
  }

  // ---- the chart: completed and failed per second as areas, refusals as bars ----
  function renderChart(series) {
    const host = $('chart');
    if (!host) return;
    const width = Math.max(320, host.clientWidth || 640);
    const height = 200;
    const pad = { l: 44, r: 12, t: 12, b: 24 };
    const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'throughput over time' });
    const n = series.at.length;
    const w = width - pad.l - pad.r;
    const h = height - pad.t - pad.b;
    if (n < 2) {
      const t = svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'axis' });
      t.textContent = 'Collecting samples…';
      chart.append(t);
      host.replaceChildren(chart);
      return;
    }
    const t0 = series.at[0];
    const t1 = series.at[n - 1];
    const span = Math.max(1, t1 - t0);
    const total = series.completed.map((c, i) => c + series.failed[i]);
    const peak = Math.max(1, ...total, ...series.refusals);
    const step = niceStep(peak / 4);
    const top = Math.ceil(peak / step) * step;
    const x = (i) => pad.l + (w * (series.at[i] - t0)) / span;
    const y = (v) => pad.t + h - (h * v) / top;
    for (let v = 0; v <= top + 1e-9; v += step) {
      chart.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: 'gridline' }));
      const label = svg('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
      label.textContent = v >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(+v.toFixed(2));
      chart.append(label);
    }
    const barWidth = Math.max(1, w / n - 1);
    series.refusals.forEach((r, i) => {
      if (r > 0) chart.append(svg('rect', { x: x(i) - barWidth / 2, y: y(r), width: barWidth, height: pad.t + h - y(r), class: 'refusals' }));
    });
    const area = (values, cls, lift) => {
      let d = `M ${x(0)} ${y(lift ? lift[0] : 0)}`;
      values.forEach((v, i) => { d += ` L ${x(i)} ${y(v + (lift ? lift[i] : 0))}`; });
      for (let i = n - 1; i >= 0; i--) d += ` L ${x(i)} ${y(lift ? lift[i] : 0)}`;
      chart.append(svg('path', { d: `${d} Z`, class: `area ${cls}` }));
      let line = '';
      values.forEach((v, i) => { line += `${i ? 'L' : 'M'} ${x(i)} ${y(v + (lift ? lift[i] : 0))} `; });
      chart.append(svg('path', { d: line, class: `line ${cls}` }));
    };
    area(series.completed, 'completed');
    if (series.failed.some((f) => f > 0)) area(series.failed, 'failed', series.completed);
    for (const [i, anchor] of [[0, 'start'], [n - 1, 'end']]) {
      const label = svg('text', { x: x(i), y: height - 6, 'text-anchor': anchor, class: 'axis' });
      label.textContent = i === 0 ? `${duration(t1 - t0)} ago` : 'now';
      chart.append(label);
    }
    const legend = el('div', { class: 'chart-legend' },
      el('span', { class: 'key completed' }, 'completed/s'), el('span', { class: 'key failed' }, 'failed/s'), el('span', { class: 'key refusals' }, 'refusals/s'),
      el('span', { class: 'muted' }, ` last: ${total[n - 1].toFixed(1)} tasks/s`));
    host.replaceChildren(chart, legend);
  }
  function niceStep(raw) {
    const power = 10 ** Math.floor(Math.log10(raw || 1));
    for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * power) return m * power;
    return 10 * power;
  }

  function recentRate(series, field, samples) {
    const n = series.at.length;
    if (n < 2) return 0;
    const from = Math.max(0, n - samples);
    const values = series[field].slice(from);
    return values.reduce((a, b) => a + b, 0) / values.length;
  }

  // ---- overview ----
  function renderOverview(s) {
    const active = s.batches.filter((b) => b.status === 'active');
    const running = s.batches.reduce((a, b) => a + b.counts.running, 0);
    const pending = s.batches.reduce((a, b) => a + b.counts.pending, 0);
    const failed = s.batches.reduce((a, b) => a + b.counts.failed, 0);
    const rate = recentRate(s.throughput, 'completed', 5) + recentRate(s.throughput, 'failed', 5);
    const refused = s.throughput.refusals.slice(-60).reduce((a, b) => a + b, 0);
    $('cards').replaceChildren(
      card('Active batches', num(active.length), `${num(s.batches.length)} shown`),
      card('Running', num(running), `${num(pending)} pending`, 'running'),
      card('Throughput', `${rate.toFixed(1)}/s`, 'tasks ended, last 5 samples', 'completed'),
      card('Failed', num(failed), 'across the batches shown', failed ? 'failed' : ''),
      card('Refusals', refused.toFixed(0), 'provider 429s, recent samples', refused ? 'refused' : ''));
    renderChart(s.throughput);
    renderPacing(s.pacing, s.worker, s.sharedLimits);
    renderWorkers(s.workers || []);
    renderUnhandled(s.unhandled || []);
    const rows = s.batches.map((b) => el('tr', { 'data-batch': b.id },
      el('td', { class: 'code-cell' }, link(batchUrl(b.id), b.code)), el('td', { class: 'nowrap' }, b.type), el('td', {}, badge(b.status, b.counts)),
      el('td', { class: 'progress-col' }, el('div', { class: 'with-pct' }, progressBar(b.counts), el('span', { class: 'pct' }, `${percent(b.counts)}%`))),
      ...countCells(b.counts), el('td', { class: 'num' }, num(b.refusals)),
      el('td', { class: 'nowrap' }, dateTime(b.createdAt)),
      el('td', { class: 'num nowrap', 'data-since': b.createdAt, 'data-until': b.completedAt ?? '' }, duration((b.completedAt ?? serverNow()) - b.createdAt))));
    replaceRows($('batches').tBodies[0], rows, 'No batches yet.', 12);
  }

  function renderWorkers(workers) {
    const table = $('workers');
    if (!table) return;
    const state = (w) => !w.live ? ['expired', 'dead or cut off: its heartbeat expired'] : w.paused ? ['paused', 'heartbeat late: likely paused by a database outage'] : ['live', ''];
    replaceRows(table.tBodies[0], workers.map((w) => {
      const [name, why] = state(w);
      return el('tr', { 'data-worker': w.owner, class: `worker ${name}` },
        el('td', { class: 'nowrap', title: w.owner }, w.machine), el('td', { class: 'num' }, w.pid),
        el('td', {}, el('span', { class: `badge ${name === 'live' ? 'active' : name === 'paused' ? 'interrupted' : 'cancelled'}`, title: why }, name)),
        el('td', { class: 'num nowrap' }, `${duration(w.heartbeatAgeMs)} ago`), el('td', { class: 'num' }, num(w.inFlight)),
        el('td', {}, w.taskTypes.join(', ') || '—'), el('td', {}, w.scope || 'every batch'),
        el('td', { class: 'num nowrap' }, duration(serverNow() - w.startedAt)));
    }), 'No worker has written a heartbeat.', 8);
  }

  function renderUnhandled(unhandled) {
    const box = $('unhandled');
    if (!box) return;
    box.hidden = unhandled.length === 0;
    box.replaceChildren(...(unhandled.length ? [el('strong', {}, 'No live worker handles: '),
      el('ul', {}, unhandled.map((u) => el('li', { 'data-type': u.type },
        `${u.type} — ${num(u.pending)} pending in `, ...u.batchIds.map((id, i) => [i ? ', ' : '', link(batchUrl(id), `batch ${id}`)]),
        '. Start a worker with a handler for it, or these tasks wait forever.')))] : []));
  }

  // ---- batch page ----
  function renderBatch(s) {
    const b = s.batch;
    const c = b.counts;
    const status = $('batch-status');
    status.className = badgeClass(b.status, c);
    status.textContent = statusText(b.status, c);
    const rate = recentRate(s.throughput, 'completed', 5) + recentRate(s.throughput, 'failed', 5);
    const left = c.pending + c.running;
    const eta = rate > 0 && left > 0 && b.status === 'active' ? duration((1000 * left) / rate) : '—';
    $('cards').replaceChildren(
      card('Done', `${percent(c)}%`, `${num(c.completed + c.failed + c.cancelled)} of ${num(c.total)}`),
      card('Completed', num(c.completed), '', 'completed'),
      card('Failed', num(c.failed), c.failed ? 'see the errors below' : '', c.failed ? 'failed' : ''),
      card('Running', num(c.running), `${num(c.pending)} pending`, 'running'),
      card('Throughput', `${rate.toFixed(1)}/s`, `ETA ${eta}`),
      card('Refusals', num(b.refusals), 'provider 429s', b.refusals ? 'refused' : ''));
    $('progress').replaceWith(Object.assign(progressBar(c, true), { id: 'progress' }));
    $('legend').replaceChildren(...SEGMENTS.map((k) => el('span', { class: `key ${k}`, 'data-count': k }, `${k} ${num(c[k])}`)));
    renderChart(s.throughput);
    renderPacing(s.pacing, s.worker, s.sharedLimits);
    replaceRows($('types').tBodies[0], s.types.map((t) => el('tr', {},
      el('td', {}, t.type), el('td', { class: 'progress-col' }, el('div', { class: 'with-pct' }, progressBar(t.counts), el('span', { class: 'pct' }, `${percent(t.counts)}%`))),
      ...countCells(t.counts), el('td', { class: 'num' }, num(t.refusals)))), 'No tasks yet.', 8);
    replaceRows($('running').tBodies[0], s.running.map((t) => el('tr', {},
      el('td', {}, link(taskUrl(t.id), `#${t.id}`)), el('td', {}, t.type), el('td', { class: 'num' }, `${t.attempt}/${t.maxAttempts}`),
      el('td', { class: 'num nowrap', 'data-since': t.claimedAt ?? '' }, t.claimedAt ? duration(serverNow() - t.claimedAt) : '—'),
      el('td', { class: 'mono small' }, t.owner ?? '—'))), 'Nothing running.', 5);
    $('running-note').textContent = c.running > s.runningShown ? `first ${num(s.runningShown)} of ${num(c.running)}` : '';
    renderErrors(s);
    const interruptions = $('interruptions');
    interruptions.replaceChildren(s.interruptions.length
      ? el('ul', { class: 'events' }, s.interruptions.map((i) => el('li', {},
        el('div', { class: 'when' }, dateTime(i.at)), el('div', { class: 'reason' }, i.reason),
        el('div', { class: 'muted small' }, `${num(i.counts.completed)} completed, ${num(i.counts.failed)} failed, ${num(i.counts.pending)} pending at the time`))))
      : el('p', { class: 'muted' }, 'None.'));
    updateActions(b);
  }

  function renderErrors(s) {
    const note = $('errors-note');
    note.textContent = s.batch.counts.failed > s.failedScanned ? `grouped from the first ${num(s.failedScanned)} of ${num(s.batch.counts.failed)}` : '';
    if (!s.errors.length) {
      $('errors').replaceChildren(el('p', { class: 'muted' }, 'No failed tasks.'));
      return;
    }
    $('errors').replaceChildren(...s.errors.map((g) => {
      const firstLine = g.error.split('\n')[0];
      return el('details', { class: 'error-group' },
        el('summary', {}, el('span', { class: 'count' }, num(g.tasks)), el('span', { class: 'error-text' }, firstLine)),
        el('pre', { class: 'code error' }, g.error),
        el('p', { class: 'small' }, 'Tasks: ', ...g.exampleIds.flatMap((id, i) => [i ? ', ' : '', link(taskUrl(id), `#${id}`)]),
          g.tasks > g.exampleIds.length ? ` and ${num(g.tasks - g.exampleIds.length)} more` : ''));
    }));
  }

  function updateActions(b) {
    const allowed = {
      'retry-failed': b.counts.failed > 0 && b.status !== 'cancelled',
      resume: b.status === 'interrupted' || (b.status === 'active' && b.counts.running > 0),
      interrupt: b.status === 'active',
      cancel: b.status !== 'cancelled' && b.status !== 'completed',
    };
    for (const button of document.querySelectorAll('#actions button[data-action]')) {
      button.disabled = !allowed[button.dataset.action];
      if (button.dataset.action === 'retry-failed') button.textContent = b.counts.failed ? `Retry ${num(b.counts.failed)} failed` : 'Retry failed';
    }
  }

  // ---- write actions: confirm in a dialog, then post with the page's token ----
  function toast(text, bad) {
    const t = $('toast');
    t.textContent = text;
    t.className = bad ? 'show bad' : 'show';
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ''; }, 5000);
  }
  function confirmAction(button) {
    const dialog = $('confirm');
    $('confirm-title').textContent = button.dataset.title;
    $('confirm-text').textContent = button.dataset.confirm;
    $('confirm-reason-label').hidden = button.dataset.reason !== 'true';
    $('confirm-yes').className = button.classList.contains('danger') ? 'danger' : 'primary';
    dialog.returnValue = '';
    dialog.onclose = async () => {
      if (dialog.returnValue !== 'ok') return;
      const form = new URLSearchParams();
      if (button.dataset.reason === 'true') form.set('reason', $('confirm-reason').value);
      button.disabled = true;
      try {
        const response = await fetch(button.dataset.url, { method: 'POST', headers: { 'X-Tem-Token': token }, body: form, credentials: 'same-origin' });
        const answer = await response.json().catch(() => ({}));
        toast(answer.message || answer.error || `${response.status} ${response.statusText}`, !response.ok);
      } catch (error) {
        toast(`The dashboard did not answer: ${error.message}`, true);
      } finally {
        if (latest?.batch) updateActions(latest.batch); else button.disabled = false;
      }
    };
    dialog.showModal();
  }
  if (canWrite) {
    document.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (button && !button.disabled) confirmAction(button);
    });
  }

  // ---- ages and elapsed times tick between snapshots ----
  setInterval(() => {
    for (const cell of document.querySelectorAll('[data-since]')) {
      const since = Number(cell.dataset.since);
      if (!since || cell.dataset.until) continue;
      cell.textContent = duration(serverNow() - since);
    }
  }, 1000);

  // ---- the first paint: the snapshot the server embedded, so the page shows data before the stream opens ----
  const initial = document.getElementById('initial-snapshot');
  if (initial) {
    try {
      const snapshot = JSON.parse(initial.textContent);
      latest = snapshot;
      clockOffset = snapshot.now - Date.now();
      if (body.dataset.page === 'batch') renderBatch(snapshot); else renderOverview(snapshot);
    } catch (e) { /* the stream renders it instead */ }
  }

  // ---- the stream ----
  const stream = body.dataset.stream;
  if (!stream) return;
  const live = $('live');
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => latest && renderChart(latest.throughput), 150);
  });
  function connect() {
    const source = new EventSource(stream);
    source.addEventListener('open', () => { live.textContent = 'live'; live.className = 'chip live on'; });
    source.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = 'chip live off'; });
    source.addEventListener('gone', () => { source.close(); live.textContent = 'batch gone'; });
    source.addEventListener('snapshot', (event) => {
      const snapshot = JSON.parse(event.data);
      latest = snapshot;
      clockOffset = snapshot.now - Date.now();
      if (body.dataset.page === 'batch') renderBatch(snapshot); else renderOverview(snapshot);
      const problem = snapshot.problem;
      live.textContent = problem ? 'database problem' : 'live';
      live.title = problem || `updated ${dateTime(snapshot.now)}`;
      live.className = problem ? 'chip live bad' : 'chip live on';
      body.dataset.updated = String(snapshot.now);
    });
  }
  connect();
})();
