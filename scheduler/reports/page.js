/* What every modsched page does: draw the figures held in <script type="application/json">
   when they come near the screen (a figure far below costs nothing at load), mount the
   Gantt, and lay the page out for print (on the browser's print, or at once for
   `#print=a3|letter|tabloid`, as `modsched report --pdf` asks). window.modschedReady
   settles when what is on screen is drawn; window.modschedDrawAll() draws the rest. */
(function () {
  'use strict';
  const CONFIG = {displaylogo: false, responsive: true};
  // landscape pages in CSS px (96 a inch) and their CSS size, less 10 mm margins
  const PAPER = {
    a3: {css: '420mm 297mm', width: 1587, height: 1123},
    letter: {css: '11in 8.5in', width: 1056, height: 816},
    tabloid: {css: '17in 11in', width: 1632, height: 1056},
  };
  const MARGIN = 38;
  const templateEl = document.getElementById('plotly-template');
  const TEMPLATE = templateEl ? JSON.parse(templateEl.textContent) : undefined;

  /* Margins wide enough for the y axis labels and a colour bar, measured here: plotly
     widens a margin that is too narrow for them (automargin) by drawing the figure a
     second time (the crew view of atlas-27: 0.8 s, drawn once 0.55 s). */
  const measure = document.createElement('canvas').getContext('2d');
  const PLOTLY_FONT = '"Open Sans", verdana, arial, sans-serif'; // plotly's default
  function textPx(text, size, family) {
    measure.font = (/<b>/.test(text) ? 'bold ' : '') + size + 'px ' + family;
    return measure.measureText(text.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).width;
  }
  function fitMargins(layout, data) {
    const font = Object.assign({}, TEMPLATE && TEMPLATE.layout.font, layout.font);
    const y = Object.assign({}, TEMPLATE && TEMPLATE.layout.yaxis, layout.yaxis);
    const labels = y.ticktext || [].concat(...data.filter((t) => t.type === 'heatmap' || t.orientation === 'h')
      .map((t) => (t.y || []).filter((v) => typeof v === 'string')));
    const size = (y.tickfont && y.tickfont.size) || font.size || 12;
    const margin = layout.margin = Object.assign({}, layout.margin);
    let left = 0;
    const family = (y.tickfont && y.tickfont.family) || font.family || PLOTLY_FONT;
    for (const text of labels) left = Math.max(left, textPx(String(text), size, family));
    if (left) margin.l = Math.max(margin.l || 0, Math.ceil(left) + 14);
    if (data.some((t) => t.type === 'heatmap' && t.showscale !== false)) margin.r = Math.max(margin.r || 0, 150);
  }

  function draw(div, width) {
    if (div.dataset.drawn) return Promise.resolve();
    div.dataset.drawn = '1';
    const fig = JSON.parse(document.getElementById(div.dataset.fig).textContent);
    fig.layout.template = TEMPLATE;
    fitMargins(fig.layout, fig.data);
    if (width) fig.layout.width = width;
    return Plotly.newPlot(div, fig.data, fig.layout, CONFIG);
  }
  const lazy = [...document.querySelectorAll('.lazy-fig')];
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) { seen.unobserve(e.target); draw(e.target); }
  }, {rootMargin: '400px 0px'});
  const onScreen = lazy.filter((d) => d.getBoundingClientRect().top < window.innerHeight);
  lazy.forEach((d) => seen.observe(d));

  let gantt = null, ganttData = null;
  const ganttEl = document.getElementById('gantt');
  if (ganttEl) {
    ganttData = JSON.parse(document.getElementById('gantt-data').textContent);
    gantt = ModschedGantt.mount(ganttEl, ganttData);
    document.querySelectorAll('button.why-show').forEach((b) => b.addEventListener('click', () => {
      gantt.showDeployment(b.dataset.dep);
      document.getElementById('program').scrollIntoView();
    }));
  }
  window.modschedGantt = gantt;
  window.modschedDrawAll = () => Promise.all([...lazy.map((d) => draw(d)), gantt ? gantt.drawAll() : null]);
  window.modschedReady = Promise.all([gantt ? gantt.ready : null, ...onScreen.map((d) => draw(d))]);

  let printing = false;
  function enterPrint(name) {
    if (printing) return Promise.resolve();
    printing = true;
    const paper = PAPER[name] || PAPER.letter;
    const width = paper.width - 2 * MARGIN, height = paper.height - 2 * MARGIN;
    let style = document.getElementById('page-size');
    if (!style) { style = document.createElement('style'); style.id = 'page-size'; document.head.appendChild(style); }
    style.textContent = '@page{size:' + (PAPER[name] ? paper.css : 'landscape') + ';margin:10mm}';
    document.body.classList.add('printing');
    const jobs = lazy.map((d) => draw(d, width));
    document.querySelectorAll('.js-plotly-plot').forEach((d) => {
      if (!d.closest('#gantt') && !d.closest('#gantt-print')) jobs.push(Plotly.relayout(d, {width}));
    });
    const box = document.getElementById('gantt-print');
    if (box && ganttData) jobs.push(ModschedGantt.printPages(box, ganttData, {width, height}, gantt && gantt.state));
    return Promise.all(jobs);
  }
  function leavePrint() {
    if (!printing) return;
    printing = false;
    document.body.classList.remove('printing');
    const box = document.getElementById('gantt-print');
    if (box) box.innerHTML = '';
    document.querySelectorAll('.js-plotly-plot').forEach((d) => {
      if (!d.closest('#gantt')) Plotly.relayout(d, {width: null, autosize: true});
    });
  }
  window.addEventListener('beforeprint', () => { enterPrint(null); });
  window.addEventListener('afterprint', leavePrint);
  const asked = /^#print=(a3|letter|tabloid)$/.exec(location.hash);
  window.modschedPrinted = asked ? window.modschedReady.then(() => enterPrint(asked[1])) : null;
  if (asked) window.modschedPrinted.then(() => { document.body.dataset.printed = '1'; });
})();
