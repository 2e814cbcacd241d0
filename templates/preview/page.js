/* Builds one figure per card side from the JSON above, as its card nears the window;
   search, the problems list and the theme switch.
   Each side's frame is sandboxed without allow-same-origin: a card's own script runs in it
   but cannot reach this page, and this page cannot reach into it either, so the side is
   loaded anew to change its theme and tells its height by postMessage (see frame.js). */
(function () {
  var data = JSON.parse(document.getElementById("pv-data").textContent);
  var frameScript = document.getElementById("pv-frame-script").textContent;
  var list = document.getElementById("pv-cards");
  var search = document.getElementById("pv-search");
  var dark = document.getElementById("pv-dark");
  var count = document.getElementById("pv-count");
  var frames = [];  // the sides made so far (see render)
  var articles = [];
  // The card a problem's link went to: the sides made around it grow from their
  // placeholders' height and push it away, so it is scrolled to again as each one fits,
  // until the reader scrolls or clicks.
  var jumpedTo = null;
  var FEW_PROBLEMS = 5;  // shown open; more start folded under their count
  dark.checked = !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);

  function sideDocument(frame) {
    // The side as Anki shows it: a page of its own whose body has the class "card",
    // and "nightMode" from the start (the card script picks colours when it runs).
    var classes = dark.checked ? "card nightMode" : "card";
    return '<!doctype html><html><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      // "<\/": this code sits in the page's own script element, which "</" + "script" ends.
      "<script>(" + frameScript + ")(" + frame.load + ");<\/script>" +
      "<style>" + frame.side.css + '</style></head><body class="' + classes + '">' +
      frame.side.body + "</body></html>";
  }

  function withImages(body) {
    // A page opened from disk gives a sandboxed frame no file: URLs ("not allowed to load
    // local resource"), so a side gets the deck's images as data: URLs instead. A template
    // parses without running scripts or loading images.
    var holder = document.createElement("template");
    holder.innerHTML = body;
    var replaced = 0;
    holder.content.querySelectorAll("img[src]").forEach(function (img) {
      var name = img.getAttribute("src");
      if (Object.prototype.hasOwnProperty.call(data.media, name)) {
        img.setAttribute("src", data.media[name]);
        replaced += 1;
      }
    });
    return replaced ? holder.innerHTML : body;
  }

  function show(frame) {
    // A new load number: a report still on its way from the side's previous page must not
    // size the frame, nor mark it fitted before the new page is in.
    frame.load += 1;
    frame.removeAttribute("data-pv-sized");
    frame.srcdoc = sideDocument(frame);
  }

  function isSize(value) {
    return typeof value === "number" && isFinite(value) && value >= 0;
  }

  function fit(event) {
    // Any side's script may post anything: take only sizes, and only for the frame the
    // message came from.
    var frame = frames.filter(function (f) { return f.contentWindow === event.source; })[0];
    var message = event.data;
    if (!frame || !message || message.pvLoad !== frame.load) { return; }
    if (!isSize(message.pvWidth) || !isSize(message.pvHeight)) { return; }
    // A frame of a card the search hides has no width: it is measured when shown again.
    if (!frame.clientWidth) { return; }
    if (Math.abs(message.pvWidth - frame.clientWidth) > 1) {
      // Measured before the side had the frame's width: a frame out of view is not laid out
      // again (nor told of a resize) until it is scrolled to, so ask again once it has it.
      requestAnimationFrame(function () { measure(frame); });
      return;
    }
    frame.style.height = Math.ceil(message.pvHeight) + "px";
    frame.setAttribute("data-pv-sized", "");  // loaded and fitted: tests wait for it
    if (jumpedTo) { jumpedTo.scrollIntoView(); }
    renderLater();
  }

  function measure(frame) {
    frame.contentWindow.postMessage("pv-measure", "*");
  }

  // A frame shown again after a search, or made wider or narrower with the window.
  var resized = window.ResizeObserver && new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { measure(entry.target); });
  });

  function side(figure, css, body) {
    var frame = document.createElement("iframe");
    frame.title = figure.querySelector("figcaption").textContent;
    frame.setAttribute("sandbox", "allow-scripts");  // never allow-same-origin: see above
    frame.side = { css: css, body: withImages(body) };
    frame.load = 0;
    show(frame);
    frames.push(frame);
    if (resized) { resized.observe(frame); }
    figure.replaceChild(frame, figure.querySelector(".pv-placeholder"));
  }

  function placeholder(label) {
    // Keeps the place a side will take, so the page scrolls as if every side were there.
    var figure = document.createElement("figure");
    figure.className = "pv-side";
    var caption = document.createElement("figcaption");
    caption.textContent = label;
    var empty = document.createElement("div");
    empty.className = "pv-placeholder";
    figure.appendChild(caption);
    figure.appendChild(empty);
    return figure;
  }

  // The page keeps the card script once per note type (preview.py): each side gets
  // it back where the mark is.
  function withScript(body, script) {
    return body.split(data.scriptMark).join(script);
  }

  function render(article) {
    // Each side is a sandboxed page of its own: thousands at once took Chromium
    // a minute and more, so a card's sides are made when it comes near the window.
    if (article.hasAttribute("data-pv-rendered")) { return; }
    var card = data.cards[article.pvIndex];
    var figures = article.querySelectorAll("figure.pv-side");
    var css = data.styles[card.css];
    var script = data.scripts[card.css];
    side(figures[0], css, withScript(card.front, script));
    side(figures[1], css, withScript(card.back, script));
    article.setAttribute("data-pv-rendered", "");  // tests count these
  }

  // The sides load one after another in the frames' own process: those in the window
  // first, then those near it, one card at a time while no side is loading, so a side has
  // loaded by the time it is scrolled to and the window's sides never wait for them.
  var later = [];  // cards near the window, nearest first
  function inWindow(rect) { return rect.bottom > 0 && rect.top < window.innerHeight; }
  function loading() {
    return frames.some(function (f) { return f.clientWidth && !f.hasAttribute("data-pv-sized"); });
  }
  function renderLater() {
    while (later.length && !loading()) { render(later.shift()); }
  }
  var near = window.IntersectionObserver && new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      near.unobserve(entry.target);
      if (inWindow(entry.boundingClientRect)) { render(entry.target); } else { later.push(entry.target); }
    });
    renderLater();
  }, { rootMargin: "1500px 0px" });

  function addArticle(card, index) {
    var article = document.createElement("article");
    article.className = "pv-card";
    article.id = "pv-card-" + index;  // the problems link here
    article.pvIndex = index;
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
    sides.appendChild(placeholder("Front"));
    sides.appendChild(placeholder("Back"));
    article.appendChild(meta);
    article.appendChild(sides);
    list.appendChild(article);
    articles.push(article);
    if (near) { near.observe(article); } else { render(article); }
  }

  // Laying out 2,000 cards took a second before the first side could start, so the page
  // makes a first screen's worth of cards at once and the rest a batch per task after.
  var FIRST_CARDS = 30, BATCH = 200;
  function addArticles(until) {
    for (var index = articles.length; index < Math.min(until, data.cards.length); index++) {
      addArticle(data.cards[index], index);
    }
  }
  function addAll() { addArticles(data.cards.length); }  // before a search or a jump
  var idle = window.requestIdleCallback || function (task) { return setTimeout(task, 0); };
  (function addMore() {
    addArticles(articles.length + (articles.length ? BATCH : FIRST_CARDS));
    if (articles.length < data.cards.length) { idle(addMore); }
  })();

  function problemItem(problem) {
    var item = document.createElement("li");
    if (problem.card === null) {
      item.textContent = problem.text;  // its card is left out of the page
      return item;
    }
    var link = document.createElement("a");
    link.href = "#pv-card-" + problem.card;
    link.textContent = problem.text;
    link.addEventListener("click", function () {
      addAll();
      var article = articles[problem.card];
      if (article.hidden) {  // hidden by the search: show every card again
        search.value = "";
        filter();
      }
      jumpedTo = article;
    });
    item.appendChild(link);
    return item;
  }

  if (data.problems.length) {
    var problems = document.getElementById("pv-problems");
    var n = data.problems.length;
    problems.querySelector("summary").textContent = n + (n === 1 ? " problem" : " problems");
    var items = problems.querySelector("ul");
    data.problems.forEach(function (problem) { items.appendChild(problemItem(problem)); });
    problems.open = n <= FEW_PROBLEMS;  // a long list would fill the first screen
    problems.hidden = false;
  }

  function filter() {
    addAll();
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
    frames.forEach(show);
  }

  window.addEventListener("message", fit);
  ["wheel", "keydown", "touchstart", "pointerdown"].forEach(function (name) {
    window.addEventListener(name, function () { jumpedTo = null; }, { passive: true });
  });
  search.addEventListener("input", filter);
  dark.addEventListener("change", theme);
  document.body.classList.toggle("pv-dark", dark.checked);
})();
