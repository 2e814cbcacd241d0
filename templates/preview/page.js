/* Builds one figure per card side from the JSON above; search and the theme switch. */
(function () {
  var data = JSON.parse(document.getElementById("pv-data").textContent);
  var list = document.getElementById("pv-cards");
  var search = document.getElementById("pv-search");
  var dark = document.getElementById("pv-dark");
  var count = document.getElementById("pv-count");
  var frames = [];
  var articles = [];
  dark.checked = !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);

  function sideDocument(side) {
    // The side as Anki shows it: a page of its own whose body has the class "card",
    // and "nightMode" from the start (the card script picks colours when it runs).
    var classes = dark.checked ? "card nightMode" : "card";
    return '<!doctype html><html><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      "<style>" + side.css + '</style></head><body class="' + classes + '">' + side.body +
      "</body></html>";
  }

  function fit(frame) {
    // The body's own height: the document's never shrinks below the frame's.
    var doc = frame.contentDocument;
    if (!doc || !doc.body) { return; }
    var margin = parseFloat(doc.defaultView.getComputedStyle(doc.body).marginBottom) || 0;
    frame.style.height = Math.ceil(doc.body.getBoundingClientRect().bottom + margin) + "px";
  }

  function side(label, css, body) {
    var figure = document.createElement("figure");
    figure.className = "pv-side";
    var caption = document.createElement("figcaption");
    caption.textContent = label;
    var frame = document.createElement("iframe");
    frame.title = label;
    frame.addEventListener("load", function () {
      fit(frame);
      // A hint opened or a spoiler revealed changes the height of the side.
      if (window.ResizeObserver && frame.contentDocument.body) {
        new ResizeObserver(function () { fit(frame); }).observe(frame.contentDocument.body);
      }
    });
    frame.side = { css: css, body: body };
    frame.srcdoc = sideDocument(frame.side);
    frames.push(frame);
    figure.appendChild(caption);
    figure.appendChild(frame);
    return figure;
  }

  data.cards.forEach(function (card) {
    var article = document.createElement("article");
    article.className = "pv-card";
    article.setAttribute("data-search", card.search);
    var meta = document.createElement("p");
    meta.className = "pv-meta";
    var where = document.createElement("code");
    where.className = "pv-source";
    where.textContent = card.source;
    meta.appendChild(where);
    meta.appendChild(document.createTextNode(
      " · " + card.deck + " · " + card.note_type + " · " + card.card +
      (card.tags ? " · " + card.tags : "")));
    var sides = document.createElement("div");
    sides.className = "pv-sides";
    var css = data.styles[card.css];
    sides.appendChild(side("Front", css, card.front));
    sides.appendChild(side("Back", css, card.back));
    article.appendChild(meta);
    article.appendChild(sides);
    list.appendChild(article);
    articles.push(article);
  });

  if (data.problems.length) {
    var problems = document.getElementById("pv-problems");
    problems.textContent = data.problems.join("\n");
    problems.hidden = false;
  }

  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    articles.forEach(function (article) {
      var text = article.getAttribute("data-search");
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      article.hidden = !match;
      if (match) { shown += 1; }
    });
    var total = articles.length + (articles.length === 1 ? " card" : " cards");
    count.textContent = words.length ? shown + " of " + total : total;
  }

  function theme() {
    // Each side loads again, as Anki shows a card again after the theme changed.
    document.body.classList.toggle("pv-dark", dark.checked);
    frames.forEach(function (frame) { frame.srcdoc = sideDocument(frame.side); });
  }

  search.addEventListener("input", filter);
  dark.addEventListener("change", theme);
  document.body.classList.toggle("pv-dark", dark.checked);
})();
