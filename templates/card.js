/* anki-tools card script: spoilers, type-in boxes, quote hues.
   Runs on the front and again on the back, which may be a fresh page
   (AnkiDroid, AnkiMobile): typed answers travel in sessionStorage. */
(function () {
  var card = document.querySelector(".at-card");
  if (!card || card.getAttribute("data-at-ready")) { return; }
  card.setAttribute("data-at-ready", "1");
  var back = card.classList.contains("at-back");

  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "[]"); }
    catch (e) { return window.__atTyped || []; }
  }
  function save(values) {
    window.__atTyped = values;
    try { sessionStorage.setItem(storeKey, JSON.stringify(values)); } catch (e) { /* storage off */ }
  }

  card.querySelectorAll(".at-spoiler").forEach(function (spoiler) {
    spoiler.addEventListener("click", function () { spoiler.classList.toggle("at-revealed"); });
  });

  // Only the hue: the CSS makes it light or dark with the theme, also after a live switch.
  card.querySelectorAll(".at-quote").forEach(function (quote) {
    quote.style.setProperty("--at-quote-hue", String(Math.floor(Math.random() * 360)));
  });

  // Enter in a box shows the answer where the app lets a card ask: Anki desktop's
  // pycmd, AnkiDroid's card API; elsewhere (AnkiMobile) the learner taps Show Answer.
  function showAnswer() {
    if (typeof pycmd === "function") { pycmd("ans"); }
    else if (typeof window.showAnswer === "function") { window.showAnswer(); }
  }

  var boxes = card.querySelectorAll(".at-typein");
  if (!boxes.length) { return; }
  // The answers are the same on both sides, so they name the card's stored input.
  var storeKey = "anki-tools:typein:" + Array.prototype.map.call(boxes, function (box) {
    return box.textContent;
  }).join("\u0001");
  if (!back) {
    var values = [];
    save(values);
    boxes.forEach(function (box, index) {
      var answer = box.textContent;
      var input = document.createElement("input");
      input.className = "at-typein-input";
      input.setAttribute("size", Math.max(answer.length, 2));
      input.setAttribute("autocomplete", "off");
      input.setAttribute("autocapitalize", "off");
      input.setAttribute("spellcheck", "false");
      input.addEventListener("input", function () { values[index] = input.value; save(values); });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.isComposing) { event.preventDefault(); showAnswer(); }
      });
      box.textContent = "";
      box.appendChild(input);
      box.classList.add("at-ready");
    });
    // As Anki's own type-in box: typing goes into the first box, not to the reviewer's
    // shortcuts (`*` marks the note, `e` opens the editor).
    var first = card.querySelector(".at-typein-input");
    if (first) { first.focus({ preventScroll: true }); }
    return;
  }
  var typed = load();
  boxes.forEach(function (box, index) {
    var answer = box.textContent;
    var given = (typed[index] || "").trim();
    var right = given === answer.trim();
    box.classList.add(right ? "at-right" : "at-wrong");
    if (!right && given) {
      var wrong = document.createElement("span");
      wrong.className = "at-typed";
      wrong.textContent = given;
      box.insertBefore(wrong, box.firstChild);
    }
  });
})();
