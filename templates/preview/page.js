/* Builds one figure per card side from the JSON above; search and the theme switch.
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
  var frames = [];
  var articles = [];
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
  }

  function measure(frame) {
    frame.contentWindow.postMessage("pv-measure", "*");
  }

  // A frame shown again after a search, or made wider or narrower with the window.
  var resized = window.ResizeObserver && new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { measure(entry.target); });
  });

  function side(label, css, body) {
    var figure = document.createElement("figure");
    figure.className = "pv-side";
    var caption = document.createElement("figcaption");
    caption.textContent = label;
    var frame = document.createElement("iframe");
    frame.title = label;
    frame.setAttribute("sandbox", "allow-scripts");  // never allow-same-origin: see above
    frame.side = { css: css, body: withImages(body) };
    frame.load = 0;
    show(frame);
    frames.push(frame);
    if (resized) { resized.observe(frame); }
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
    frames.forEach(show);
  }

  window.addEventListener("message", fit);
  search.addEventListener("input", filter);
  dark.addEventListener("change", theme);
  document.body.classList.toggle("pv-dark", dark.checked);
})();
