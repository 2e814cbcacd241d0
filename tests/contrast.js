// The WCAG AA contrast check over what the page really shows (computed styles), shared by
// the browser tests and the desktop tests (Anki's reviewer): see contrast.py.
//
// A function of a CSS selector: it returns the failing text/background pairs in the
// elements it matches and their descendants. Every visible element with a direct text
// node that is not only white space (and every input holding a value) is checked: its
// text colour against its effective background, the backgrounds of it and its ancestors
// composited over the canvas (white), group opacity included. The rule: 4.5:1, or 3:1
// for large text (24px, or 18.66px when bold).
(function (within) {
  function parse(value) {
    var m = /rgba?\(([^)]+)\)/.exec(value || "");
    if (!m) return [0, 0, 0, 0];
    var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, below) {  // `top` (rgba) painted over an opaque colour
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + below[i] * (1 - a); }).concat(1);
  }
  function mix(outside, inside, opacity) {
    return over([inside[0], inside[1], inside[2], opacity], outside);
  }
  function luminance(c) {
    var l = c.slice(0, 3).map(function (v) {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  function ratio(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function hex(c) {
    return "#" + c.slice(0, 3).map(function (v) {
      return ("0" + Math.round(v).toString(16)).slice(-2);
    }).join("");
  }
  function path(el) {
    var parts = [];
    for (; el && el.nodeType === 1 && el !== document.body; el = el.parentElement) {
      var part = el.tagName.toLowerCase();
      if (el.classList.length) part += "." + Array.prototype.join.call(el.classList, ".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  }
  function ownText(el) {
    if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") return el.value.trim();
    var text = "";
    el.childNodes.forEach(function (n) { if (n.nodeType === 3) text += n.nodeValue; });
    return text.trim();
  }
  function visible(el, style) {
    if (style.visibility !== "visible" || !el.getClientRects().length) return false;
    return !el.checkVisibility || el.checkVisibility({ opacityProperty: true });
  }
  // What is behind an element's text: the composited background and the opacity groups
  // (outermost first) it is drawn in. Kept per element: siblings share their ancestors.
  var behind = new Map();
  function backdrop(el) {
    if (!el) return { colour: [255, 255, 255, 1], groups: [] };  // the canvas
    if (behind.has(el)) return behind.get(el);
    var outside = backdrop(el.parentElement), cs = getComputedStyle(el);
    var opacity = parseFloat(cs.opacity), groups = outside.groups;
    if (opacity < 1) groups = groups.concat([{ outside: outside.colour, opacity: opacity }]);
    var seen = { colour: over(parse(cs.backgroundColor), outside.colour), groups: groups };
    behind.set(el, seen);
    return seen;
  }
  // The colours of the element's text and of what is behind it, as the screen shows them.
  function painted(el, text) {
    var seen = backdrop(el), fg = over(text, seen.colour), bg = seen.colour;
    for (var i = seen.groups.length - 1; i >= 0; i--) {
      fg = mix(seen.groups[i].outside, fg, seen.groups[i].opacity);
      bg = mix(seen.groups[i].outside, bg, seen.groups[i].opacity);
    }
    return { fg: fg, bg: bg };
  }
  if (!document.querySelector(within)) throw new Error("contrast.js: nothing matches " + within);
  var failing = [];
  document.querySelectorAll(within + ", " + within + " *").forEach(function (el) {
    if (/^(SCRIPT|STYLE|TEMPLATE|NOSCRIPT)$/.test(el.tagName)) return;
    var text = ownText(el);
    if (!text) return;
    var style = getComputedStyle(el);
    if (!visible(el, style)) return;
    var colour = parse(style.color);
    if (colour[3] === 0) return;  // transparent text shows nothing (a hidden spoiler)
    var seen = painted(el, colour);
    var size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    var needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    var got = ratio(seen.fg, seen.bg);
    if (got < needed) {
      failing.push({
        path: path(el), text: text.slice(0, 40), color: hex(seen.fg), background: hex(seen.bg),
        ratio: Math.round(got * 100) / 100, needed: needed,
      });
    }
  });
  return failing;
})
