/* The page's Gantt, drawn in the browser from gantt_data (scheduler/reports/gantt.py).
   Filters (site, deployment, phase, crew pool), a date window with presets, lead time
   folded into one thin bar, labels where they fit, driving links on demand; every row is
   in the page (no scrolling box of its own), drawn in parts as they come near the screen,
   under a date axis that stays in view. `ModschedGantt.mount(root, data)` draws it in
   `root`; `ModschedGantt.printPages(root, data, page, state)` draws it for print, split
   by site into pages. */
(function () {
  'use strict';
  const DAY = 86400000;
  const LABELS_UP_TO = 1500; // bars; past this labels cost more than they show
  const LINES_ABOVE = 1500; // bars; past this a trace is drawn as one path (see asPath)
  const PART_ROWS = 120; // rows of one figure at most (see mount)
  const LEAD_COLOR = '#8a93a6';
  const GRID = '#e3e6ec';
  // no mode bar: one a part would sit over the rows; drag zooms, a double click resets
  const CONFIG = {displaylogo: false, responsive: true, scrollZoom: false, displayModeBar: false};

  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  }

  function Model(D) {
    const t0 = Date.parse(D.start + 'T00:00:00Z');
    const T = D.tasks;
    const n = T.row.length;
    const leadSet = new Set(D.lead);
    const depSite = D.deps.map((d) => d[1]);
    const rowDep = D.rows.map((r) => r[1]);
    const ms = (day) => t0 + day * DAY;
    const isoOf = new Map(); // a plan has a few hundred distinct days, and 10,000 tasks
    const iso = (day) => {
      let text = isoOf.get(day);
      if (text === undefined) { text = new Date(ms(day)).toISOString().slice(0, 10); isoOf.set(day, text); }
      return text;
    };
    const taskId = (i) => D.rows[T.row[i]][0] + '/' + T.task[i];
    const sitePhases = new Set(['transport', 'site', 'commissioning'].map((p) => D.phases.findIndex((q) => q[0] === p)));
    return {D, T, n, t0, ms, iso, taskId, leadSet, depSite, rowDep, sitePhases};
  }

  /* What the filters leave: rows (in drawing order, as y categories) and task indices. */
  function select(M, st) {
    const D = M.D, T = M.T;
    const rowOn = D.rows.map((r, k) => (st.site < 0 || M.depSite[r[1]] === st.site) && (st.dep < 0 || r[1] === st.dep));
    const tasks = [];
    const rowHas = new Uint8Array(D.rows.length);
    for (let i = 0; i < M.n; i++) {
      if (!rowOn[T.row[i]] || !st.phases.has(T.phase[i])) continue;
      if (st.pool >= 0 && T.pools[i].indexOf(st.pool) < 0) continue;
      tasks.push(i); rowHas[T.row[i]] = 1;
    }
    const filtered = st.site >= 0 || st.dep >= 0 || st.pool >= 0;
    const keepRow = (k) => rowOn[k] && (st.pool < 0 || rowHas[k]);
    const depsOn = new Set();
    D.rows.forEach((r, k) => { if (keepRow(k)) depsOn.add(r[1]); });
    const cats = [], ticks = [], kinds = [];
    const milestones = D.milestones.filter((m) => !filtered || m[5].some((d) => depsOn.has(d)));
    for (const m of milestones) { cats.push('m:' + m[0]); ticks.push('<i>◆ ' + esc(m[0]) + '</i>'); kinds.push('m'); }
    const bands = [], seps = [];
    D.sites.forEach((site, s) => {
      if (st.site >= 0 && s !== st.site) return;
      const mine = [];
      D.rows.forEach((r, k) => { if (keepRow(k) && M.depSite[r[1]] === s) mine.push(k); });
      if (filtered && !mine.length) return;
      const first = cats.length;
      cats.push('s:' + s); ticks.push('<b>⚡ ' + esc(site) + '</b>'); kinds.push('s');
      let prev = null;
      for (const k of mine) {
        if (prev !== null && M.rowDep[k] !== prev) seps.push(cats.length - 0.5);
        prev = M.rowDep[k];
        cats.push('r:' + k); ticks.push(esc(D.rows[k][0])); kinds.push('r');
      }
      bands.push([first - 0.5, cats.length - 0.5, s]);
    });
    const sitesOn = new Set(bands.map((b) => b[2]));
    return {tasks, cats, ticks, kinds, milestones, bands, seps, sitesOn};
  }

  function phaseName(M, p) { return M.D.phases[p][0]; }

  function hoverOf(M, i) {
    const T = M.T;
    const extra = [T.status[i]];
    const g = T.ghost[i];
    if (g && T.status[i]) extra.push((T.first[i] - g[0] >= 0 ? '+' : '') + (T.first[i] - g[0]) + ' d vs baseline');
    return [
      M.taskId(i), T.name[i] || T.task[i], M.iso(T.first[i]) + ' → ' + M.iso(T.last[i]),
      T.days[i] + ' wd · phase ' + phaseName(M, T.phase[i]),
      T.crews[i] || '-', T.mw[i] + ' MW · gate ' + T.gate[i], extra.filter(Boolean).join(' · '),
    ].map(esc);
  }
  const TASK_HOVER = '<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<br>%{customdata[3]}' +
    '<br>crews: %{customdata[4]}<br>%{customdata[5]}<br>%{customdata[6]}<extra></extra>';

  /* Bars: one trace per phase (lead time as one thin bar per module when folded); a
     module's back-to-back tasks of one phase merged when too many are in view. */
  /* How a selection's bars are drawn: merged runs (too many tasks in view), labels,
     bars as lines; and how many bars that makes. */
  function barMode(M, sel, st) {
    const T = M.T;
    let unfolded = 0, runs = 0, row = -1, phase = -1, end = -1;
    const leadRows = new Set();
    for (const i of sel.tasks) {
      if (st.lead && M.leadSet.has(T.phase[i])) { leadRows.add(T.row[i]); continue; }
      unfolded++;
      if (T.row[i] !== row || T.phase[i] !== phase || T.sd[i] > end) { runs++; row = T.row[i]; phase = T.phase[i]; end = T.ed[i]; }
      else end = Math.max(end, T.ed[i]);
    }
    const merge = unfolded > M.D.merge_above;
    const bars = (merge ? runs : unfolded) + leadRows.size;
    return {merge, bars, labels: !merge && bars <= LABELS_UP_TO, lines: merge || bars > LINES_ABOVE};
  }

  function barTraces(M, sel, st, mode) {
    const T = M.T, D = M.D;
    mode = mode || barMode(M, sel, st);
    const merge = mode.merge;
    const byPhase = new Map();
    const lead = new Map();
    const put = (p, row, first, last, custom, text, done) => {
      if (!byPhase.has(p)) byPhase.set(p, {y: [], base: [], x: [], customdata: [], text: [], shape: []});
      const b = byPhase.get(p);
      b.y.push('r:' + row); b.base.push(M.ms(first)); b.x.push((last - first + 1) * DAY);
      b.customdata.push(custom); b.text.push(text); b.shape.push(done ? '/' : '');
    };
    let run = null;
    const flush = () => {
      if (!run) return;
      const k = run.items.length;
      const custom = [k + ' task' + (k > 1 ? 's' : ''), run.items.map((i) => T.task[i]).slice(0, 12).join(' → ') + (k > 12 ? ' …' : ''),
        M.iso(run.first) + ' → ' + M.iso(run.last), 'span ' + (run.ed - run.sd) + ' wd · phase ' + phaseName(M, run.phase), '-', '', ''].map(esc);
      put(run.phase, run.row, run.first, run.last, custom, '', false);
      run = null;
    };
    for (const i of sel.tasks) {
      if (st.lead && M.leadSet.has(T.phase[i])) {
        const l = lead.get(T.row[i]);
        if (l) { l.first = Math.min(l.first, T.first[i]); l.last = Math.max(l.last, T.last[i]); l.items.push(i); }
        else lead.set(T.row[i], {first: T.first[i], last: T.last[i], items: [i]});
        continue;
      }
      if (merge) {
        if (run && (run.row !== T.row[i] || run.phase !== T.phase[i] || T.sd[i] > run.ed)) flush();
        if (run) { run.items.push(i); run.ed = Math.max(run.ed, T.ed[i]); run.last = Math.max(run.last, T.last[i]); }
        else run = {row: T.row[i], phase: T.phase[i], items: [i], sd: T.sd[i], ed: T.ed[i], first: T.first[i], last: T.last[i]};
        continue;
      }
      put(T.phase[i], T.row[i], T.first[i], T.last[i], hoverOf(M, i), T.name[i] || T.task[i], T.status[i] === 'done');
    }
    flush();
    const labels = mode.labels;
    const traces = [];
    D.phases.forEach((ph, p) => {
      const b = byPhase.get(p);
      if (!b) return;
      const marker = {color: ph[1], line: {width: 0}};
      if (b.shape.some(Boolean)) marker.pattern = {shape: b.shape, fgcolor: 'white', fgopacity: 0.7, solidity: 0.35};
      traces.push({type: 'bar', orientation: 'h', name: ph[0], y: b.y, base: b.base, x: b.x, width: 0.62,
        customdata: b.customdata, hovertemplate: TASK_HOVER, marker,
        text: labels ? b.text : undefined, textposition: labels ? 'inside' : 'none', insidetextanchor: 'start',
        textangle: 0, textfont: {color: '#fff', size: 10}, cliponaxis: true});
    });
    if (lead.size) {
      const y = [], base = [], x = [], customdata = [];
      lead.forEach((l, row) => {
        y.push('r:' + row); base.push(M.ms(l.first)); x.push((l.last - l.first + 1) * DAY);
        const spans = D.lead.map((p) => {
          const mine = l.items.filter((i) => T.phase[i] === p);
          if (!mine.length) return '';
          return phaseName(M, p) + ' ' + M.iso(Math.min(...mine.map((i) => T.first[i]))) + ' → ' + M.iso(Math.max(...mine.map((i) => T.last[i])));
        }).filter(Boolean);
        customdata.push([esc(D.rows[row][0]), spans.map(esc).join('<br>'), l.items.length]);
      });
      traces.unshift({type: 'bar', orientation: 'h', name: 'lead time', y, base, x, width: 0.22,
        marker: {color: LEAD_COLOR, line: {width: 0}}, customdata,
        hovertemplate: '<b>%{customdata[0]}</b> lead time (%{customdata[2]} tasks)<br>%{customdata[1]}<extra></extra>'});
    }
    return {traces, merged: merge, bars: mode.bars, labels, lines: mode.lines};
  }

  /* Many bars: a bar trace drawn as one SVG path of strokes as thick as the bars (a layout
     shape between the grid and the traces) and an undrawn trace on both ends of each bar for the hover
     (no hatching, no labels). A bar is an SVG element of its own, and so is each piece of
     a line broken by gaps: atlas-27's Gantt of 724 rows took 0.55 s drawn as lines, 0.3 s
     as paths (Chromium, docs/BENCHMARKS.md, Pages). */
  function asPath(M, bar, rowOf, rowPx) {
    const n = bar.y.length, x = new Array(2 * n), y = new Array(2 * n), customdata = new Array(2 * n);
    const day = (t) => M.iso(Math.round((t - M.t0) / DAY));
    const path = [];
    for (let k = 0; k < n; k++) {
      const a = bar.base[k], b = a + bar.x[k];
      path.push('M' + day(a) + ',' + rowOf.get(bar.y[k]) + 'H' + day(b)); // a stroke as thick as the bar
      x[2 * k] = a; x[2 * k + 1] = b; y[2 * k] = y[2 * k + 1] = bar.y[k];
      customdata[2 * k] = customdata[2 * k + 1] = bar.customdata[k];
    }
    return {
      shape: {type: 'path', path: path.join(''), xref: 'x', yref: 'y', layer: 'between',
        line: {color: bar.marker.color, width: Math.max(1, Math.round(rowPx * bar.width))}},
      trace: {type: 'scatter', mode: 'none', name: bar.name, x, y, customdata, hovertemplate: bar.hovertemplate,
        hoverlabel: {bgcolor: bar.marker.color}},
    };
  }

  function ghostTrace(M, sel) {
    const T = M.T, y = [], base = [], x = [], customdata = [];
    for (const i of sel.tasks) {
      const g = T.ghost[i];
      if (!g) continue;
      y.push('r:' + T.row[i]); base.push(M.ms(g[0])); x.push((g[1] - g[0] + 1) * DAY);
      customdata.push([esc(M.taskId(i)), M.iso(g[0]), M.iso(g[1])]);
    }
    if (!y.length) return [];
    return [{type: 'bar', orientation: 'h', name: 'baseline', y, base, x, width: 0.9,
      marker: {color: M.D.ghost_color, line: {width: 0}}, customdata,
      hovertemplate: 'baseline <b>%{customdata[0]}</b><br>%{customdata[1]} → %{customdata[2]}<extra></extra>'}];
  }

  function chainTrace(M, sel, folded) {
    const T = M.T, y = [], base = [], x = [], customdata = [];
    for (const i of sel.tasks) {
      if (!T.chain[i] || folded(i)) continue;
      y.push('r:' + T.row[i]); base.push(M.ms(T.first[i])); x.push((T.last[i] - T.first[i] + 1) * DAY);
      customdata.push([esc(M.taskId(i)), esc(T.chain[i]).replace(/; /g, '<br>')]);
    }
    if (!y.length) return [];
    return [{type: 'bar', orientation: 'h', name: 'why late: driving chain', y, base, x, width: 0.86,
      marker: {color: 'rgba(0,0,0,0)', line: {color: M.D.chain_color, width: 3}}, customdata,
      hovertemplate: '<b>%{customdata[0]}</b> on the chain of<br>%{customdata[1]}<extra>why late</extra>'}];
  }

  /* Driving links: from the end of the task that set a task's start to that start. */
  function linkTraces(M, sel) {
    const T = M.T, on = new Set(sel.tasks), x = [], y = [], ax = [], ay = [];
    for (const i of sel.tasks) {
      const d = T.driver[i];
      if (d < 0 || !on.has(d)) continue;
      x.push(M.ms(T.last[d] + 1), M.ms(T.first[i]), null);
      y.push('r:' + T.row[d], 'r:' + T.row[i], null);
      ax.push(M.ms(T.first[i])); ay.push('r:' + T.row[i]);
    }
    if (!x.length) return [];
    return [
      {type: 'scatter', mode: 'lines', name: 'driving link', x, y, line: {color: '#3b4252', width: 1}, hoverinfo: 'skip'},
      {type: 'scatter', mode: 'markers', name: 'driving link', x: ax, y: ay, hoverinfo: 'skip',
        marker: {symbol: 'triangle-right', size: 7, color: '#3b4252'}},
    ];
  }

  /* Labels that would overlap the one before on their row are dropped; that one counts
     them ("+2 more") and every event keeps its hover. */
  function placeLabels(events, pxPerMs, charPx) {
    const byRow = new Map();
    for (const e of events) { if (!byRow.has(e.y)) byRow.set(e.y, []); byRow.get(e.y).push(e); }
    byRow.forEach((list) => {
      list.sort((a, b) => a.x - b.x);
      let last = null, end = -Infinity;
      for (const e of list) {
        const px = e.x * pxPerMs;
        if (last && px < end + 10) { last.more++; e.label = ''; continue; }
        last = e; e.more = 0; end = px + 12 + e.text.length * charPx;
      }
      for (const e of list) if (e.more !== undefined) e.label = e.text + (e.more ? ' (+' + e.more + ' more)' : '');
    });
  }

  function supplyTraces(M, sel, pxPerMs, font) {
    const D = M.D, events = [];
    for (const s of D.supplies) {
      if (!sel.sitesOn.has(s[0])) continue;
      const info = [esc(D.sites[s[0]]), esc(s[2]), s[1], s[3], M.iso(s[4]), s[5] === null ? 'open end' : M.iso(s[5])];
      events.push({x: M.ms(s[4]), y: 's:' + s[0], kind: s[1], symbol: 'triangle-up', text: s[2] + ' +' + s[3] + ' MW', custom: ['starts', ...info]});
      if (s[5] !== null) events.push({x: M.ms(s[5]), y: 's:' + s[0], kind: s[1], symbol: 'triangle-down-open', text: s[2] + ' ends', custom: ['ends', ...info]});
    }
    placeLabels(events, pxPerMs, font * 0.6);
    const traces = [];
    for (const kind of Object.keys(D.kind_colors)) {
      const mine = events.filter((e) => e.kind === kind);
      if (!mine.length) continue;
      traces.push({type: 'scatter', mode: 'markers+text', name: kind + ' power', x: mine.map((e) => e.x), y: mine.map((e) => e.y),
        text: mine.map((e) => esc(e.label)), textposition: 'middle right', textfont: {size: font}, cliponaxis: false,
        marker: {symbol: mine.map((e) => e.symbol), size: 11, color: D.kind_colors[kind], line: {color: '#555', width: 1}},
        customdata: mine.map((e) => e.custom),
        hovertemplate: '<b>%{customdata[2]}</b> (%{customdata[3]}, %{customdata[1]}) %{customdata[0]}<br>%{customdata[4]} MW from %{customdata[5]} until %{customdata[6]}<extra></extra>'});
    }
    return traces;
  }

  function milestoneTraces(M, sel, font) {
    const fx = [], fy = [], colors = [], labels = [], fc = [], tx = [], ty = [], tc = [], dx = [], dy = [], dc = [], lx = [], ly = [];
    for (const m of sel.milestones) {
      const [id, done, target, deadline, late] = m;
      const y = 'm:' + id;
      const status = late > 0 ? late + ' wd late' : (target !== null ? 'on time' : '');
      const missed = deadline !== null && done !== null && done > deadline;
      const c = [esc(id), done === null ? '-' : M.iso(done), target === null ? '-' : M.iso(target), deadline === null ? '-' : M.iso(deadline), status || 'no target', missed ? 'deadline missed' : ''];
      if (done !== null) {
        fx.push(M.ms(done + 1)); fy.push(y); fc.push(c);
        colors.push(late > 0 || missed ? '#d62728' : '#2ca02c');
        labels.push(M.iso(done) + (status ? ' · ' + status : ''));
      }
      if (target !== null) { tx.push(M.ms(target + 1)); ty.push(y); tc.push(c); }
      if (deadline !== null) { dx.push(M.ms(deadline + 1)); dy.push(y); dc.push(c); }
      if (target !== null && done !== null && late > 0) { lx.push(M.ms(target + 1), M.ms(done + 1), null); ly.push(y, y, null); }
    }
    const hover = '<b>%{customdata[0]}</b><br>finish %{customdata[1]} · target %{customdata[2]}<br>deadline %{customdata[3]}<br>%{customdata[4]} %{customdata[5]}<extra></extra>';
    const out = [];
    if (lx.length) out.push({type: 'scatter', mode: 'lines', name: 'late days', x: lx, y: ly, line: {color: '#d62728', width: 3}, hoverinfo: 'skip'});
    if (tx.length) out.push({type: 'scatter', mode: 'markers', name: 'milestone target', x: tx, y: ty, customdata: tc, hovertemplate: hover, marker: {symbol: 'line-ns', size: 14, line: {color: '#222', width: 3}}});
    if (dx.length) out.push({type: 'scatter', mode: 'markers', name: 'milestone deadline', x: dx, y: dy, customdata: dc, hovertemplate: hover, marker: {symbol: 'x-thin', size: 11, line: {color: '#8b0000', width: 2}}});
    if (fx.length) out.push({type: 'scatter', mode: 'markers+text', name: 'milestone finish', x: fx, y: fy, text: labels, textposition: 'middle right', textfont: {size: font}, cliponaxis: false, customdata: fc, hovertemplate: hover, marker: {symbol: 'diamond', size: 12, color: colors, line: {color: '#222', width: 1}}});
    return out;
  }

  function offDays(M, lo, hi) {
    if (hi - lo > 140 * DAY) return [];
    const work = new Set(M.D.workdays), hol = new Set(M.D.holidays), out = [];
    for (let d = Math.floor((lo - M.t0) / DAY); M.ms(d) <= hi; d++) {
      const wd = (new Date(M.ms(d)).getUTCDay() + 6) % 7; // Monday 0, as Python's weekday()
      if (!work.has(wd) || hol.has(d)) {
        out.push({type: 'rect', xref: 'x', yref: 'paper', x0: M.ms(d), x1: M.ms(d + 1), y0: 0, y1: 1,
          fillcolor: 'rgba(120,120,140,0.08)', line: {width: 0}, layer: 'below'});
      }
    }
    return out;
  }

  function statusShapes(M, withLabel) {
    if (M.D.status === null) return {shapes: [], annotations: []};
    const x = M.ms(M.D.status);
    return {
      shapes: [{type: 'line', xref: 'x', yref: 'paper', x0: x, x1: x, y0: 0, y1: 1, line: {color: '#d62728', width: 2}}],
      annotations: withLabel ? [{x, xref: 'x', y: 0, yref: 'paper', yanchor: 'bottom', xanchor: 'left', showarrow: false,
        text: 'status date ' + M.iso(M.D.status), font: {color: '#d62728', size: 11}, bgcolor: 'rgba(255,255,255,0.85)'}] : [],
    };
  }

  function leftMargin(sel) {
    let longest = 0;
    for (const t of sel.ticks) longest = Math.max(longest, t.replace(/<[^>]+>/g, '').length);
    return Math.min(360, 24 + Math.round(longest * 6.6));
  }

  /* The figure for a selection: rows, bars, markers and the shapes under them. */
  function figure(M, sel, st, win, width, opts) {
    const D = M.D;
    const n = sel.cats.length;
    const rowPx = opts.rowPx || (n <= 40 ? 24 : n <= 150 ? 18 : 14);
    const font = rowPx >= 18 ? 11 : 9;
    const left = opts.left || leftMargin(sel);
    const plotW = Math.max(200, width - left - 20);
    const pxPerMs = plotW / (win[1] - win[0]);
    const folded = (i) => st.lead && M.leadSet.has(M.T.phase[i]);
    const bars = barTraces(M, sel, st, opts.mode);
    let traces = ghostTrace(M, sel).concat(bars.traces);
    const paths = [];
    if (bars.lines) {
      const rowOf = new Map(sel.cats.map((c, k) => [c, k]));
      traces = traces.map((t) => { const p = asPath(M, t, rowOf, rowPx); paths.push(p.shape); return p.trace; });
    }
    if (!bars.merged) traces = traces.concat(chainTrace(M, sel, folded));
    if (st.links && !bars.merged) traces = traces.concat(linkTraces(M, sel));
    traces = traces.concat(supplyTraces(M, sel, pxPerMs, font), milestoneTraces(M, sel, font));
    const shapes = [];
    sel.bands.forEach((b, k) => {
      shapes.push({type: 'rect', xref: 'paper', yref: 'y', x0: 0, x1: 1, y0: b[0], y1: b[1], fillcolor: k % 2 ? '#ffffff' : '#f3f5f9', line: {width: 0}, layer: 'below'});
      shapes.push({type: 'line', xref: 'paper', yref: 'y', x0: 0, x1: 1, y0: b[0], y1: b[0], line: {color: '#9aa3b5', width: 1}});
    });
    for (const y of sel.seps) shapes.push({type: 'line', xref: 'paper', yref: 'y', x0: 0, x1: 1, y0: y, y1: y, line: {color: '#d0d5df', width: 1, dash: 'dot'}, layer: 'below'});
    if (sel.milestones.length <= 15) {
      for (const t of [...new Set(sel.milestones.filter((m) => m[2] !== null).map((m) => m[2]))].sort((a, b) => a - b)) {
        shapes.push({type: 'line', xref: 'x', yref: 'paper', x0: M.ms(t + 1), x1: M.ms(t + 1), y0: 0, y1: 1, line: {color: '#555', width: 1, dash: 'dot'}, layer: 'below'});
      }
    }
    const status = statusShapes(M, false);
    const axisOn = !!opts.axis;
    const top = axisOn ? 40 : 6;
    const layout = {
      height: top + 8 + rowPx * Math.max(n, 1), width: opts.fixedWidth ? width : undefined,
      margin: {l: left, r: 20, t: top, b: 8}, showlegend: false, barmode: 'overlay', hovermode: 'closest',
      uniformtext: {mode: 'hide', minsize: 8}, plot_bgcolor: '#fff', paper_bgcolor: '#fff',
      shapes: shapes.concat(offDays(M, win[0], win[1]), paths, status.shapes),
      annotations: axisOn ? statusShapes(M, true).annotations : [],
      xaxis: {type: 'date', range: win, side: 'top', showgrid: true, gridcolor: GRID, showticklabels: axisOn, zeroline: false, ticklabeloverflow: 'allow'},
      // the row labels are HTML beside the plot (rowLabels): plotly measured each of its
      // tick labels as it placed it, 40 % of a part's draw time (atlas-27, Chromium)
      yaxis: {type: 'category', categoryorder: 'array', categoryarray: sel.cats, range: [n - 0.5, -0.5],
        autorange: false, fixedrange: true, showgrid: false, showticklabels: false, automargin: false},
    };
    return {traces, layout, bars, rowPx, left, ticks: sel.ticks};
  }

  /* A figure's row labels, right-aligned in its left margin, one a row (the ticks of
     `select`: escaped text in our own <b>/<i>). */
  function rowLabels(div, f) {
    const box = el('div', {class: 'g-labels'});
    const size = f.rowPx >= 18 ? 12 : 10;
    box.style.cssText = 'top:' + f.layout.margin.t + 'px;width:' + (f.left - 6) + 'px;font-size:' + size + 'px;line-height:' + f.rowPx + 'px';
    box.innerHTML = f.ticks.map((t) => '<div class="g-label">' + t + '</div>').join('');
    div.appendChild(box);
  }

  function axisLayout(M, win, left) {
    const status = statusShapes(M, true);
    return {height: 64, margin: {l: left, r: 20, t: 44, b: 2}, showlegend: false, plot_bgcolor: 'rgba(0,0,0,0)', paper_bgcolor: '#fff',
      xaxis: {type: 'date', range: win, side: 'top', showgrid: false, fixedrange: true, ticks: 'outside', ticklabeloverflow: 'allow'},
      yaxis: {visible: false, fixedrange: true, range: [0, 1]}, shapes: status.shapes, annotations: status.annotations};
  }

  /* Days from the first to the last thing a selection shows (all of the program for
     none), and the first day of site work (transport, site, commissioning) in it. */
  function extent(M, sel) {
    const D = M.D, T = M.T;
    let lo = Infinity, hi = -Infinity, siteLo = Infinity;
    const tasks = sel ? sel.tasks : T.row.map((_, i) => i);
    for (const i of tasks) {
      lo = Math.min(lo, T.first[i]); hi = Math.max(hi, T.last[i] + 1);
      if (M.sitePhases.has(T.phase[i])) siteLo = Math.min(siteLo, T.first[i]);
    }
    for (const s of D.supplies) if (!sel || sel.sitesOn.has(s[0])) { lo = Math.min(lo, s[4]); hi = Math.max(hi, s[4] + 1); }
    for (const m of sel ? sel.milestones : D.milestones) for (const d of [m[1], m[2], m[3]]) if (d !== null) hi = Math.max(hi, d + 1);
    if (lo === Infinity) { lo = 0; hi = 7; }
    return {lo, hi, siteLo: siteLo === Infinity ? lo : siteLo};
  }

  /* A window over ``extent``: a little room on the left, room for labels on the right. */
  function fitWindow(M, sel, from) {
    const e = extent(M, sel);
    const lo = from === undefined ? e.lo : from;
    const span = Math.max(e.hi - lo, 7);
    return [M.ms(lo - Math.ceil(0.02 * span) - 1), M.ms(e.hi + Math.ceil(0.12 * span) + 2)];
  }

  function presetWindow(M, sel, name) {
    if (name === 'whole') return fitWindow(M, null);
    if (name === 'site') return fitWindow(M, sel, extent(M, sel).siteLo);
    const from = M.D.status === null ? extent(M, null).lo : M.D.status;
    const weeks = name === '2w' ? 2 : 6;
    return [M.ms(from - 1), M.ms(from + 7 * weeks + 1)];
  }

  /* A date of plotly's axis ("2027-01-04", "2027-01-04 12:30:00.5" or ms) in ms, UTC. */
  function toMs(v) {
    if (typeof v === 'number') return v;
    const text = String(v).replace(' ', 'T');
    return Date.parse(text.length > 10 ? text + 'Z' : text + 'T00:00:00Z');
  }

  function el(tag, attrs, html) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (html !== undefined) e.innerHTML = html;
    return e;
  }

  function controls(M, root) {
    const D = M.D;
    const bar = el('div', {class: 'g-controls'});
    const opt = (v, t) => '<option value="' + v + '">' + esc(t) + '</option>';
    const siteSel = el('select', {'data-f': 'site', 'aria-label': 'site'}, opt(-1, 'all sites') + D.sites.map((s, k) => opt(k, s)).join(''));
    const depSel = el('select', {'data-f': 'dep', 'aria-label': 'deployment'});
    const poolSel = el('select', {'data-f': 'pool', 'aria-label': 'crew pool'}, opt(-1, 'all crew pools') + D.pools.map((p, k) => opt(k, p)).join(''));
    const lab = (text, input) => { const l = el('label', {}, esc(text) + ' '); l.appendChild(input); return l; };
    bar.append(lab('Site', siteSel), lab('Deployment', depSel), lab('Crew pool', poolSel));
    const present = new Set(M.T.phase);
    const phases = el('span', {class: 'g-phases'});
    D.phases.forEach((p, k) => {
      if (!present.has(k)) return;
      phases.appendChild(el('label', {class: 'g-phase'}, '<input type="checkbox" data-phase="' + k + '" checked><i style="background:' + p[1] + '"></i>' + esc(p[0])));
    });
    bar.appendChild(phases);
    const row2 = el('div', {class: 'g-controls'});
    const win = el('span', {class: 'g-window'}, 'Dates: ' +
      '<button data-w="whole">whole program</button><button data-w="site">site work on</button>' +
      '<button data-w="2w">2-week lookahead</button><button data-w="6w">6-week lookahead</button> ' +
      '<input type="date" data-f="from" aria-label="from"> to <input type="date" data-f="to" aria-label="to">');
    const lead = el('label', {}, '<input type="checkbox" data-f="lead"> lead time (' + D.lead.map((p) => esc(D.phases[p][0])).join(', ') + ') as one thin bar');
    const links = el('label', {}, '<input type="checkbox" data-f="links"> driving links');
    const count = el('span', {class: 'g-count'});
    row2.append(win, lead, links, count);
    const from = M.D.status === null ? 'the program start' : 'the status date ' + M.iso(M.D.status);
    win.querySelector('[data-w="2w"]').title = win.querySelector('[data-w="6w"]').title = 'from ' + from;
    root.append(bar, row2);
    return {siteSel, depSel, poolSel, count, bar, row2};
  }

  function fillDeps(M, depSel, site, keep) {
    const D = M.D;
    let html = '<option value="-1">all deployments</option>';
    D.sites.forEach((s, k) => {
      if (site >= 0 && k !== site) return;
      const mine = D.deps.map((d, j) => [d, j]).filter((x) => x[0][1] === k);
      if (!mine.length) return;
      html += '<optgroup label="' + esc(s) + '">' + mine.map((x) => '<option value="' + x[1] + '">' + esc(x[0][0]) + '</option>').join('') + '</optgroup>';
    });
    depSel.innerHTML = html;
    depSel.value = String(keep);
    if (depSel.value === '') depSel.value = '-1';
  }

  /* The interactive Gantt in `root`: controls and axis (sticky), then the rows. */
  function mount(root, D) {
    const M = Model(D);
    const sticky = el('div', {class: 'g-sticky'});
    const ui = controls(M, sticky);
    const axis = el('div', {class: 'g-axis'});
    sticky.appendChild(axis);
    const plot = el('div', {class: 'g-plot'});
    const note = el('p', {class: 'note g-empty'});
    root.append(sticky, note, plot);
    const st = {site: -1, dep: -1, pool: -1, phases: new Set(D.phases.map((_, k) => k)), lead: M.n > D.merge_above, links: false, win: null, preset: null};
    sticky.querySelector('[data-f="lead"]').checked = st.lead;
    fillDeps(M, ui.depSel, -1, -1);
    const dateOf = (x) => new Date(x).toISOString().slice(0, 10);
    // the rows are drawn in parts (the milestones, then each site, at most PART_ROWS rows
    // each), each when it comes near the screen: a page of 10,000 tasks draws what is seen
    let parts = [];
    let view = null;
    const near = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) drawPart(e.target.modschedPart);
    }, {rootMargin: '600px 0px'});

    function onRelayout(ev) {
      if (ev['xaxis.range[0]'] !== undefined) { st.preset = 'custom'; st.win = [toMs(ev['xaxis.range[0]']), toMs(ev['xaxis.range[1]'])]; draw(); }
      else if (ev['xaxis.autorange']) { st.preset = null; st.win = null; draw(); }
    }

    function drawPart(part) {
      if (part.drawn) return part.drawn;
      const f = figure(M, part.sel, st, view.win, view.width, {rowPx: view.rowPx, left: view.left, mode: view.mode});
      part.drawn = Plotly.newPlot(part.div, f.traces, f.layout, CONFIG).then(() => { rowLabels(part.div, f); part.div.on('plotly_relayout', onRelayout); });
      return part.drawn;
    }

    function draw() {
      const sel = select(M, st);
      // a window fitted to the selection (the default, or 'site work on') follows the filters
      if (st.preset === null) st.win = null;
      else if (st.preset === 'site') st.win = presetWindow(M, sel, 'site');
      const win = st.win || fitWindow(M, sel);
      const n = sel.cats.length;
      const rowPx = n <= 40 ? 24 : n <= 150 ? 18 : 14;
      const left = leftMargin(sel);
      const mode = barMode(M, sel, st);
      view = {win, width: plot.clientWidth || root.clientWidth || 1200, rowPx, left, mode};
      for (const part of parts) { near.unobserve(part.div); Plotly.purge(part.div); part.div.remove(); }
      parts = [];
      let a = 0;
      for (let k = 1; k <= n; k++) {
        if (k < n && sel.kinds[k] !== 's' && k - a < PART_ROWS) continue;
        const div = el('div', {class: 'g-part'});
        div.style.height = (rowPx * (k - a) + 14) + 'px';
        plot.appendChild(div);
        const part = {div, sel: cutSelection(M, sel, a, k), drawn: null};
        div.modschedPart = part;
        parts.push(part);
        a = k;
      }
      const seen = parts.filter((part) => {
        const box = part.div.getBoundingClientRect();
        return box.top < window.innerHeight && box.bottom > 0; // the rest: when near (above)
      });
      parts.forEach((part) => near.observe(part.div));
      const drawn = Promise.all(seen.map(drawPart)).then(() =>
        Plotly.react(axis, [], axisLayout(M, win, left), {displayModeBar: false, staticPlot: true, responsive: true}));
      const modules = sel.kinds.filter((k) => k === 'r').length;
      ui.count.textContent = modules + ' modules · ' + sel.tasks.length + ' tasks' + (mode.merge ? ' (merged into ' + mode.bars + ' bars: pick fewer to see each task)' : '');
      sticky.querySelector('[data-f="links"]').disabled = mode.merge;
      note.textContent = sel.tasks.length ? '' : 'No task matches these filters.';
      sticky.querySelector('[data-f="from"]').value = dateOf(win[0]);
      sticky.querySelector('[data-f="to"]').value = dateOf(win[1] - DAY); // the last day shown
      root.dataset.modules = modules; root.dataset.tasks = sel.tasks.length; root.dataset.bars = mode.bars;
      root.dataset.merged = mode.merge ? '1' : '0'; root.dataset.labels = mode.labels ? '1' : '0';
      root.dataset.from = dateOf(win[0]); root.dataset.to = dateOf(win[1] - DAY);
      return drawn;
    }
    ui.siteSel.addEventListener('change', () => { st.site = +ui.siteSel.value; fillDeps(M, ui.depSel, st.site, -1); st.dep = -1; draw(); });
    ui.depSel.addEventListener('change', () => { st.dep = +ui.depSel.value; draw(); });
    ui.poolSel.addEventListener('change', () => { st.pool = +ui.poolSel.value; draw(); });
    sticky.querySelectorAll('[data-phase]').forEach((b) => b.addEventListener('change', () => {
      const k = +b.dataset.phase; if (b.checked) st.phases.add(k); else st.phases.delete(k); draw();
    }));
    sticky.querySelector('[data-f="lead"]').addEventListener('change', (e) => { st.lead = e.target.checked; draw(); });
    sticky.querySelector('[data-f="links"]').addEventListener('change', (e) => { st.links = e.target.checked; draw(); });
    sticky.querySelectorAll('[data-w]').forEach((b) => b.addEventListener('click', () => { st.preset = b.dataset.w; st.win = presetWindow(M, select(M, st), b.dataset.w); draw(); }));
    sticky.querySelectorAll('[data-f="from"],[data-f="to"]').forEach((inp) => inp.addEventListener('change', () => {
      const a = Date.parse(sticky.querySelector('[data-f="from"]').value), b = Date.parse(sticky.querySelector('[data-f="to"]').value);
      if (a < b) { st.preset = 'custom'; st.win = [a, b + DAY]; draw(); }
    }));
    const api = {
      draw,
      state: st,
      ready: null,
      showDeployment(name) {
        const k = D.deps.findIndex((d) => d[0] === name);
        if (k < 0) return;
        st.site = D.deps[k][1]; ui.siteSel.value = String(st.site); fillDeps(M, ui.depSel, st.site, k); st.dep = k; draw();
      },
    };
    api.drawAll = () => Promise.all(parts.map(drawPart));
    api.ready = draw();
    return api;
  }

  /* Print: one figure per site and page, rows split where a page is full, each with its
     own date axis and the page's filters and window. */
  function printPages(root, D, page, st0) {
    const M = Model(D);
    const st = st0 || {site: -1, dep: -1, pool: -1, phases: new Set(D.phases.map((_, k) => k)), lead: M.n > D.merge_above, links: false, win: null};
    const all = select(M, st);
    const win = st.win || fitWindow(M, all);
    const left = leftMargin(all); // one margin: the pages' date axes line up
    root.innerHTML = '';
    const rowPx = 15;
    const per = Math.max(8, Math.floor((page.height - 150) / rowPx)); // rows a page: less the header, axis, title
    const drawn = [];
    const sites = st.site >= 0 ? [st.site] : D.sites.map((_, k) => k);
    for (const s of sites) {
      const sel = select(M, Object.assign({}, st, {site: s, dep: st.site === s ? st.dep : -1}));
      if (!sel.cats.length) continue;
      const rows = sel.cats.length;
      for (let a = 0, part = 1; a < rows; a += per, part++) {
        const cut = cutSelection(M, sel, a, Math.min(rows, a + per));
        const box = el('div', {class: 'g-print-page'});
        const parts = Math.ceil(rows / per);
        box.appendChild(el('h3', {}, esc(D.sites[s]) + (parts > 1 ? ' (' + part + ' of ' + parts + ')' : '')));
        const div = el('div');
        box.appendChild(div);
        root.appendChild(box);
        const f = figure(M, cut, st, win, page.width, {axis: true, rowPx, left, fixedWidth: true});
        drawn.push(Plotly.newPlot(div, f.traces, f.layout, {staticPlot: true, displayModeBar: false}).then(() => rowLabels(div, f)));
      }
    }
    return Promise.all(drawn);
  }

  /* Rows a..b of a selection (the tasks on them, the bands cut to them). */
  function cutSelection(M, sel, a, b) {
    const keep = new Set(sel.cats.slice(a, b));
    const rowsKept = new Set([...keep].filter((c) => c[0] === 'r').map((c) => +c.slice(2)));
    return {
      cats: sel.cats.slice(a, b), ticks: sel.ticks.slice(a, b), kinds: sel.kinds.slice(a, b),
      tasks: sel.tasks.filter((i) => rowsKept.has(M.T.row[i])),
      milestones: sel.milestones.filter((m) => keep.has('m:' + m[0])),
      bands: sel.bands.map((x) => [Math.max(x[0], a - 0.5) - a, Math.min(x[1], b - 0.5) - a, x[2]]).filter((x) => x[1] > x[0]),
      seps: sel.seps.filter((y) => y > a && y < b).map((y) => y - a),
      sitesOn: new Set([...keep].filter((c) => c[0] === 's').map((c) => +c.slice(2))),
    };
  }

  window.ModschedGantt = {mount, printPages};
})();
